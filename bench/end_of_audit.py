"""Memory and time of the end of an audit, replayed on a finished audit's database.

After its crawl an audit runs the site checks, assigns teams and fingerprints, and makes its
report, all in the crawl's process, when that process is at its largest. This replays those
steps one by one on a database a bench run left behind, samples the process's RSS every 50 ms,
and prints each step's time and how far it took RSS above where the step started:

    python -m bench.end_of_audit /tmp/bench-xxxx/storeaudit-1.db

The site checks' findings are counted, not written; ``assign_findings`` writes the same team,
severity and fingerprint again, so use a copy of a database you want to keep untouched.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import date
from pathlib import Path


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


class Sampler:
    """The largest RSS seen since the last ``start``, sampled in a thread."""

    def __init__(self, every: float = 0.05) -> None:
        self.every, self.peak = every, 0.0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, _rss_mb())
            time.sleep(self.every)

    def start(self) -> float:
        self.peak = now = _rss_mb()
        return now


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.end_of_audit")
    parser.add_argument("db", type=Path)
    parser.add_argument("--run", type=int, default=None, help="run id (default: the last one)")
    args = parser.parse_args()

    from checks.context import RunContext
    from checks.runner import enabled_checks
    from config import load_config
    from reports.output import load_report, write_report
    from storeaudit.audit import assign_findings
    from storeaudit.store import open_db

    db = open_db(args.db)
    run_id = args.run or db.execute("select max(id) from runs").fetchone()[0]
    run = dict(db["runs"].get(run_id))
    config = load_config(None)
    hosts = {run["start_url"].split("/")[2]}
    ctx = RunContext(db=db, run_id=run_id, config=config, site_hosts=hosts, as_of=date.fromisoformat(run["as_of"]))
    sampler = Sampler()

    def step(name: str, work) -> None:  # type: ignore[no-untyped-def]
        before = sampler.start()
        began = time.perf_counter()
        detail = work()
        took = time.perf_counter() - began
        time.sleep(2 * sampler.every)  # the sampler's last look at the step's memory, not part of its time
        print(f"{name:10s} {took:7.1f} s  RSS {before:6.1f} MB, +{sampler.peak - before:5.1f} MB  {detail}")

    print(f"run {run_id}: {run['pages']} pages; RSS {_rss_mb():.1f} MB after imports")
    for check, options in enabled_checks(config, "site") + enabled_checks(config, "flow"):
        step(check.code, lambda: f"{sum(1 for _ in check.func(ctx, options))} findings")  # noqa: B023
    step("assign", lambda: assign_findings(db, run_id, config, site_hosts=frozenset(hosts)) or "")
    with tempfile.TemporaryDirectory() as tmp:
        step("report", lambda: write_report(db, "html", Path(tmp) / "report.html", data=load_report(db, run_id)) or "")


if __name__ == "__main__":
    main()
