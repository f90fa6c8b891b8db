"""CPU per page of the audit's page work alone: parse, canonical URLs, every page check, rows.

No network and no Scrapy: what a page costs the audit on top of fetching its URLs, on stored
pages of a generated store (``python -m bench --pages 1000`` makes ``bench/out/site-1000``).

    python -m bench.page_work bench/out/site-1000 --repeat 3
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from checks.runner import PageCheckRunner
from config import load_config
from crawler.extract import parse_page
from crawler.frontier import Frontier
from crawler.pipelines import link_values, page_row


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.page_work")
    parser.add_argument("site", type=Path)
    parser.add_argument("--pages", type=int, default=200, help="product pages to use (plus 20 category pages)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    config = load_config(None)
    files = sorted((args.site / "product").glob("*.html"))[:args.pages]
    files += sorted((args.site / "category").rglob("*.html"))[:20]
    bodies = [(f.relative_to(args.site).with_suffix("").as_posix(), f.read_bytes()) for f in files]
    frontier = Frontier(ignore_params=config["crawl.ignore_params"], max_query_variants=10**9,
                        max_pages_per_pattern=10**9, max_depth=100, max_pages=10**9)
    runner = PageCheckRunner(config, site_hosts={"127.0.0.1:8080"}, as_of=date.today())
    findings = 0
    start = time.process_time()
    for _ in range(args.repeat):
        for path, body in bodies:
            page = parse_page(f"http://127.0.0.1:8080/{path}", body, status=200, depth=1, encoding="utf-8",
                              headers={"last-modified": ""})
            for ref in page.refs:
                ref.url = frontier.canonical(ref.url)
            findings += len([runner.row(1, f) for f in runner.run(page)])
            page_row(1, page)
            link_values(1, page)
    n = len(bodies) * args.repeat
    print(f"{n} pages: {(time.process_time() - start) / n * 1000:.2f} ms CPU per page, {findings} findings")


if __name__ == "__main__":
    main()
