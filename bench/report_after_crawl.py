"""Peak memory of a report made in the process that just crawled, as `storeaudit audit` does.

A 100,000-page audit peaked while making its report, on top of what the crawl left behind.
This crawls a generated store (served by nginx), then renders the HTML report of any audit
database (e.g. a 100,000-page one kept from `python -m bench`) in the same process, and
prints the process's memory after each step; ``--keep-crawl-memory`` skips
``release_crawl_memory`` to compare.

    python -m bench.report_after_crawl bench/out/site-1000 --report-db path/to/storeaudit-1.db
"""

from __future__ import annotations

import argparse
import resource
import tempfile
from pathlib import Path

import storeaudit.audit as audit
from bench.nginx import Nginx
from config import load_config


def rss_mb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.report_after_crawl")
    parser.add_argument("site", type=Path, help="a generated store (python -m bench makes bench/out/site-N)")
    parser.add_argument("--report-db", type=Path, required=True, help="the audit database to report on")
    parser.add_argument("--keep-crawl-memory", action="store_true")
    args = parser.parse_args()
    if args.keep_crawl_memory:
        audit.release_crawl_memory = lambda: None
    work = Path(tempfile.mkdtemp(prefix="report-after-crawl-"))
    config = work / "storeaudit.toml"
    config.write_text("[crawl]\nconcurrency = 16\nper_host_concurrency = 16\nmax_pages = 1000000\n")
    with Nginx(args.site, work) as server:
        audit.run_audit(server.url, config=load_config(config), db_path=work / "crawl.db")
    print(f"after the crawl: {rss_mb()} MB")

    from reports import load_report, write_report
    from storeaudit.store import open_db

    db = open_db(args.report_db)
    data = load_report(db)
    print(f"report loaded: {rss_mb()} MB")
    write_report(db, "html", work / "report.html", data=data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"report written: {rss_mb()} MB; peak of the process {peak} MB")


if __name__ == "__main__":  # a spawned page worker imports this module again: nothing may run then
    main()
