"""Two commits' audits of one bench store, alternated: which is faster, when the machine is not.

The shared machine's speed drifts by ±20 % within minutes, so two bench runs an hour apart
compare the hour, not the code. Here both commits audit the same store served by one nginx,
in rounds that alternate which goes first, and the medians are compared::

    python -m bench.ab --base 13ac856 --pages 1000 --rounds 6     # base against the working tree
    python -m bench.ab --base HEAD~1 --new HEAD --pages 10000 --rounds 3 --out ab.json

Each commit is checked out in a temporary git worktree (the working tree itself with
``--new .``, the default) and imported from there. Wall time and CPU seconds (the audit and
its page workers, from rusage) per audit; no ratios to bare Scrapy, which ``python -m bench``
gives.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from collections.abc import Iterator
from pathlib import Path

from bench.generate import generate
from bench.nginx import Nginx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


@contextmanager
def checkout(rev: str, work: Path) -> Iterator[Path]:
    """The source tree of ``rev`` ("." is the working tree as it is)."""
    if rev == ".":
        yield ROOT
        return
    tree = work / f"tree-{rev.replace('/', '_').replace('~', '_')}"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tree), rev],
                   check=True, capture_output=True)
    try:
        yield tree
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)


def audit(tree: Path, url: str, work: Path, name: str) -> dict[str, float]:
    """One audit of ``url`` with the code of ``tree``: wall and CPU seconds, and its exit code."""
    db = work / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "storeaudit.cli", "audit", url, "--config", str(work / "audit.toml"),
                           "--db", str(db), "--format", "html", "--output", str(work / f"{name}.html"), "--quiet"],
                          cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"the audit with {name}'s code failed ({proc.returncode}): {proc.stderr[-500:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "exit_code": proc.returncode}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--new", default=".", help="git revision, or . for the working tree (default)")
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--site", type=Path, help="where the generated store is kept (default bench/out/site-N)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    site = args.site or OUT / f"site-{args.pages}"
    if not (site / "manifest.json").exists():
        print(f"generating {args.pages} pages in {site} ...", flush=True)
        generate(site, args.pages)
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ab-")))
        (work / "audit.toml").write_text(f"[crawl]\nconcurrency = 16\nper_host_concurrency = 16\n"
                                         f"max_pages = {args.pages * 2 + 100}\ntimeout = 30.0\n")
        trees = {"base": stack.enter_context(checkout(args.base, work)),
                 "new": stack.enter_context(checkout(args.new, work))}
        server = stack.enter_context(Nginx(site, work / "nginx"))
        runs: dict[str, list[dict[str, float]]] = {"base": [], "new": []}
        for r in range(args.rounds):
            for name in ("base", "new") if r % 2 == 0 else ("new", "base"):
                m = audit(trees[name], server.url, work, name)
                runs[name].append(m)
                print(f"round {r + 1}: {name:4s} {m['wall_s']:7.1f} s wall {m['cpu_s']:7.1f} CPU s", flush=True)
    medians = {name: {key: statistics.median(m[key] for m in ms) for key in ("wall_s", "cpu_s")}
               for name, ms in runs.items()}
    result = {"base": args.base, "new": args.new, "pages": args.pages, "rounds": args.rounds, "runs": runs,
              "medians": medians,
              "new_over_base": {k: medians["new"][k] / medians["base"][k] for k in ("wall_s", "cpu_s")}}
    print(f"medians: base {medians['base']['wall_s']:.2f} s / {medians['base']['cpu_s']:.2f} CPU s, "
          f"new {medians['new']['wall_s']:.2f} s / {medians['new']['cpu_s']:.2f} CPU s; new / base: wall "
          f"{result['new_over_base']['wall_s']:.3f}, CPU {result['new_over_base']['cpu_s']:.3f}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()
