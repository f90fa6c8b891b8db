"""Benchmark: the full storeaudit audit against bare Scrapy and LinkChecker on one generated store.

    python -m bench --pages 10000 --runs 3            # table on stdout, JSON in bench/out/
    python -m bench --pages 300 --runs 1              # the smoke run the tests use

For each tool and run: wall time, pages/s, CPU seconds per 1,000 pages (the child's own
rusage, ``os.wait4``, with the worker processes it waited for) and peak RSS (the sum over the
child and its descendants, sampled), so nothing else on the machine is counted.
Medians over the runs are reported, with the ratios full/bare and full/LinkChecker. The
server is nginx (Debian's package) with one worker; its own ceiling is measured with wrk.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.generate import generate
from bench.nginx import Nginx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CONCURRENCY = 16


@dataclass
class Measure:
    tool: str
    run: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    pages: int
    exit_code: int
    extra: dict[str, object] = field(default_factory=dict)
    peak_pss_mb: float = 0.0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu_s / self.pages * 1000 if self.pages else 0.0


@dataclass
class Measured:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float  # the largest sum of RSS over the process tree
    peak_pss_mb: float  # the same with shared pages counted once (PSS)
    exit_code: int
    stdout: str
    #: CPU seconds of the process itself and of its descendants, as last sampled (0.2 s before exit at most)
    cpu_main_s: float = 0.0
    cpu_children_s: float = 0.0


def run_measured(cmd: list[str], *, log: Path, env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd`` and measure it.

    CPU is the rusage of the process and the children it waited for (worker processes). Peak
    memory is sampled every 0.2 s over the process and all its descendants, as the sum of
    their RSS (rusage only knows the largest single process of a tree) and as the sum of their
    PSS, which counts the pages they share (libraries) once: the memory the tool occupies.
    """
    out = log.with_suffix(".out")
    with open(out, "wb") as stdout, open(log, "wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, cwd=ROOT, env={**os.environ, **(env or {})})
        sampler = TreeRss(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        sampler.stop()
    return Measured(wall, usage.ru_utime + usage.ru_stime, max(usage.ru_maxrss / 1024, sampler.peak_mb),
                    sampler.peak_pss_mb, os.waitstatus_to_exitcode(status), out.read_text(errors="replace"),
                    sampler.cpu_s.get(proc.pid, 0.0),
                    sum(cpu for pid, cpu in sampler.cpu_s.items() if pid != proc.pid))


class TreeRss(threading.Thread):
    """Samples the summed RSS and PSS of a process and its descendants (Linux /proc), and the
    CPU time of each (which of the audit's processes is the busy one)."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_mb = 0.0
        self.peak_pss_mb = 0.0
        self.cpu_s: dict[int, float] = {}  # pid -> user + system CPU seconds, last seen
        self._done = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._tick = os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        while not self._done.wait(self.interval):
            rss, pss = self.sample()
            self.peak_mb = max(self.peak_mb, rss / 2**20)
            self.peak_pss_mb = max(self.peak_pss_mb, pss / 2**20)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def sample(self) -> tuple[int, int]:
        """Bytes of RSS and of PSS, summed over the tree."""
        children: dict[int, list[int]] = {}
        stats: dict[int, list[str]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                stats[int(entry)] = stat
                children.setdefault(int(stat[1]), []).append(int(entry))
        rss = pss = 0
        todo = [self.pid]
        while todo:
            pid = todo.pop()
            if pid in stats:  # utime and stime, in clock ticks
                self.cpu_s[pid] = (int(stats[pid][11]) + int(stats[pid][12])) / self._tick
            try:
                rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                pss += int(rollup.split("\nPss:", 1)[1].split()[0]) * 1024
            except (OSError, ValueError, IndexError):
                pass
            todo.extend(children.get(pid, ()))
        return rss, pss


def bench_bare(url: str, work: Path, run: int) -> Measure:
    m = run_measured(
        [sys.executable, "-m", "bench.bare_spider", url, "--concurrency", str(CONCURRENCY)], log=work / f"bare-{run}.log")
    counts = json.loads(m.stdout.strip().splitlines()[-1]) if m.stdout.strip() else {}
    return Measure("bare-scrapy", run, m.wall_s, m.cpu_s, m.peak_rss_mb, counts.get("pages", 0), m.exit_code,
                   {"responses": counts.get("responses", 0)}, peak_pss_mb=m.peak_pss_mb)


def bench_full(url: str, work: Path, run: int, pages_hint: int, *, workers: int = 0,
               redis_url: str = "") -> Measure:
    """The full audit; with ``workers``, ``--workers N`` sharing one Redis (CPU and RSS of the
    coordinator and its workers, which are its children, together)."""
    tool = f"storeaudit-w{workers}" if workers else "storeaudit"
    cfg = work / "storeaudit.toml"
    cfg.write_text(f"[crawl]\nconcurrency = {CONCURRENCY}\nper_host_concurrency = {CONCURRENCY}\n"
                   f"max_pages = {pages_hint * 2 + 100}\ntimeout = 30.0\n")
    db = work / f"{tool}-{run}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    report = work / f"{tool}-{run}.html"
    distributed = ["--workers", str(workers), "--redis", redis_url] if workers else []
    m = run_measured(
        [sys.executable, "-m", "storeaudit.cli", "audit", url, "--config", str(cfg), "--db", str(db),
         "--format", "html", "--output", str(report), "--fail-on", "notice", "--quiet", *distributed],
        log=work / f"{tool}-{run}.log", env={"PYTHONPATH": str(ROOT)})
    with sqlite3.connect(db) as conn:
        status, pages, fetches, findings = conn.execute(
            "select status, pages, fetches, findings from runs order by id desc limit 1").fetchone()
    size = sum(Path(str(db) + s).stat().st_size for s in ("", "-wal") if Path(str(db) + s).exists())
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "storeaudit.cli", "report", "--db", str(db), "--format", "html",
                    "--output", str(work / f"report-{tool}-{run}.html")], cwd=ROOT, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True)
    report_s = time.perf_counter() - t0
    return Measure(tool, run, m.wall_s, m.cpu_s, m.peak_rss_mb, pages, m.exit_code,
                   {"status": status, "fetches": fetches, "findings": findings, "db_bytes": size,
                    "cpu_s_crawler": round(m.cpu_main_s, 2), "cpu_s_children": round(m.cpu_children_s, 2),
                    "db_bytes_per_page": round(size / pages) if pages else 0, "report_s": round(report_s, 2)},
                   peak_pss_mb=m.peak_pss_mb)


def bench_linkchecker(url: str, work: Path, run: int, pages: int) -> Measure | None:
    exe = shutil.which("linkchecker")
    if exe is None:
        return None
    rc = work / "linkcheckerrc"
    rc.write_text("[checking]\nthreads=10\nmaxrequestspersecond=100000\n[filtering]\ncheckextern=0\n"
                  "[output]\nstatus=0\n")
    m = run_measured([exe, "--config", str(rc), "--no-status", "--threads", "10", url],
                     log=work / f"linkchecker-{run}.log")
    found = re.search(r"(\d+) links? in (\d+) URLs? checked", m.stdout)
    extra = {"links": int(found.group(1)), "urls": int(found.group(2))} if found else {}
    return Measure("linkchecker", run, m.wall_s, m.cpu_s, m.peak_rss_mb, pages, m.exit_code, extra,
                   peak_pss_mb=m.peak_pss_mb)


def server_ceiling(url: str) -> float | None:
    """Requests/s nginx serves one product page at (wrk, 2 threads, 64 connections, 3 s)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    out = subprocess.run([wrk, "-t2", "-c64", "-d3s", url + "product/p1"], capture_output=True, text=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(m.group(1)) if m else None


@contextmanager
def redis_server(work: Path) -> Iterator[str]:
    """A throwaway Redis (Debian's ``redis-server``) on a free port of 127.0.0.1, for ``--workers``."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("the full-w2 row needs redis-server (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(work)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def median_row(ms: list[Measure]) -> dict[str, float]:
    return {
        "wall_s": statistics.median(m.wall_s for m in ms),
        "pages_per_s": statistics.median(m.pages_per_s for m in ms),
        "cpu_s_per_1000_pages": statistics.median(m.cpu_per_1000 for m in ms),
        "peak_rss_mb": statistics.median(m.peak_rss_mb for m in ms),
        "peak_pss_mb": statistics.median(m.peak_pss_mb for m in ms),
        "pages": statistics.median(m.pages for m in ms),
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tools", default="bare,full,linkchecker",
                        help="comma-separated subset of bare, full, full-w2 (--workers 2, needs redis-server), linkchecker")
    parser.add_argument("--out", type=Path, default=None, help="JSON result file")
    parser.add_argument("--site", type=Path, default=None, help="where the generated store is kept")
    args = parser.parse_args(argv)
    tools = set(args.tools.split(","))
    OUT.mkdir(parents=True, exist_ok=True)
    site = args.site or OUT / f"site-{args.pages}"
    if not (site / "manifest.json").exists():
        print(f"generating {args.pages} pages in {site} ...", file=sys.stderr)
        generate(site, args.pages)
    manifest = json.loads((site / "manifest.json").read_text())
    # Databases, reports and logs (hundreds of MB at scale): beside --out, unless that is in
    # the repository (docs/bench-results), where they would be committed: then in bench/out.
    beside = args.out.resolve().parent if args.out else OUT
    beside.mkdir(parents=True, exist_ok=True)  # --out may name a folder not made yet
    work = Path(tempfile.mkdtemp(prefix="bench-", dir=OUT if ROOT in (beside, *beside.parents) else beside))
    results: list[Measure] = []
    with Nginx(site, work / "nginx") as server, ExitStack() as stack:
        redis_url = stack.enter_context(redis_server(work)) if "full-w2" in tools else ""
        ceiling = server_ceiling(server.url)
        for run in range(1, args.runs + 1):
            done = len(results)
            # Bare Scrapy and the audit take turns going first (bare, full; full, bare; ...): on a
            # machine whose speed drifts, the one always measured second would always get the drift.
            pair = [lambda: bench_bare(server.url, work, run),
                    lambda: bench_full(server.url, work, run, manifest["pages"])]
            wanted = [m for m, name in zip(pair, ("bare", "full")) if name in tools]
            for measure in (wanted if run % 2 else wanted[::-1]):
                results.append(measure())
            if "full-w2" in tools:
                results.append(bench_full(server.url, work, run, manifest["pages"], workers=2, redis_url=redis_url))
            if "linkchecker" in tools:
                m = bench_linkchecker(server.url, work, run, manifest["pages"])
                if m:
                    results.append(m)
            for m in results[done:]:
                print(f"run {run}: {m.tool:<13} {m.wall_s:7.1f} s {m.pages_per_s:7.1f} pages/s "
                      f"{m.peak_rss_mb:6.0f} MB RSS {m.peak_pss_mb:6.0f} MB PSS", file=sys.stderr)
    by_tool: dict[str, list[Measure]] = {}
    for m in results:
        by_tool.setdefault(m.tool, []).append(m)
    medians = {tool: median_row(ms) for tool, ms in by_tool.items()}
    # pages/s counts each tool's own pages: bare Scrapy and storeaudit the 2xx HTML pages they
    # read (the same pages: home, categories with their facet and paginated URLs, products,
    # blog), LinkChecker the store's HTML files. The ratios are given by wall time on the
    # same store too.
    ratios = {}
    for peer, name in (("bare-scrapy", "bare"), ("linkchecker", "linkchecker")):
        if "storeaudit" in medians and peer in medians:
            ratios[f"full_over_{name}"] = medians["storeaudit"]["pages_per_s"] / medians[peer]["pages_per_s"]
            ratios[f"full_over_{name}_by_wall"] = medians[peer]["wall_s"] / medians["storeaudit"]["wall_s"]
            # The median of each run's own ratio: when one tool drifts over the runs (bare Scrapy
            # ~20 % faster in the last two of five), it can differ from the ratio of the medians.
            peer_runs = {m.run: m.pages_per_s for m in by_tool[peer]}
            ratios[f"full_over_{name}_median_of_runs"] = statistics.median(
                m.pages_per_s / peer_runs[m.run] for m in by_tool["storeaudit"] if peer_runs.get(m.run))
    if "storeaudit" in medians and "storeaudit-w2" in medians:
        ratios["workers2_over_full"] = medians["storeaudit-w2"]["pages_per_s"] / medians["storeaudit"]["pages_per_s"]
    summary = {"site": manifest, "server_ceiling_rps": ceiling, "runs": args.runs, "concurrency": CONCURRENCY,
               "medians": medians, "ratios": ratios,
               "measures": [{**asdict(m), "pages_per_s": m.pages_per_s} for m in results]}
    out = args.out or OUT / f"bench-{args.pages}.json"
    out.write_text(json.dumps(summary, indent=2))
    print(f"\nstore: {manifest['pages']} pages, nginx ceiling {ceiling or '?'} req/s; medians of {args.runs} run(s)")
    print(f"{'tool':<15}{'wall s':>9}{'pages/s':>10}{'CPU s/1k pages':>16}{'peak RSS MB':>13}{'peak PSS MB':>13}")
    for tool, row in medians.items():
        print(f"{tool:<15}{row['wall_s']:>9.1f}{row['pages_per_s']:>10.1f}{row['cpu_s_per_1000_pages']:>16.2f}"
              f"{row['peak_rss_mb']:>13.0f}{row['peak_pss_mb']:>13.0f}")
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}")
    for m in results:
        if m.tool.startswith("storeaudit"):
            print(f"{m.tool} run {m.run}: {m.extra.get('fetches')} requests, database "
                  f"{m.extra.get('db_bytes_per_page')} bytes/page, `storeaudit report` {m.extra.get('report_s')} s, "
                  f"CPU s: crawler {m.extra.get('cpu_s_crawler')}, its child processes {m.extra.get('cpu_s_children')}")
    print(f"JSON: {out}")
    shutil.rmtree(work / "nginx", ignore_errors=True)
    return summary


if __name__ == "__main__":
    main()
