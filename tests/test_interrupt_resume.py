"""Nothing is lost: signals mark a run interrupted with its data kept, kill -9 never reads
complete, and `audit --resume` finishes an interrupted run without refetching what it did,
with the same findings as an uninterrupted audit."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from hostile_site import HostileSite

CONFIG = "[crawl]\nper_host_concurrency = 2\nuse_sitemaps = false\n"
AS_OF = "2026-11-25"


def start_audit(site: HostileSite, tmp_path: Path, db: Path, config: str = CONFIG) -> subprocess.Popen[str]:
    cfg = tmp_path / "slow.toml"
    cfg.write_text(config)
    return subprocess.Popen(
        [sys.executable, "-m", "storeaudit.cli", "audit", site.url + "slow/0", "--config", str(cfg), "--db", str(db),
         "--format", "html", "-o", str(tmp_path / "report.html"), "--as-of", AS_OF],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def wait_for(condition, what: str, limit: float = 60) -> None:
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def pages_in(db: Path) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("select count(*) from pages").fetchone()[0]
    except sqlite3.Error:
        return 0


def served_pages(site: HostileSite) -> set[str]:
    return {p for p in site.paths("/slow/") if p[len("/slow/"):].isdigit()}


def stored_pages(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {"/" + u.split("/", 3)[3] for (u,) in conn.execute("select url from pages")}


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


WORKER = CONFIG + "page_processes = 1\n"  # pages read in a worker process from the first


@pytest.mark.parametrize(("signum", "config"), [(signal.SIGINT, CONFIG), (signal.SIGTERM, CONFIG), (signal.SIGINT, WORKER)],
                         ids=["SIGINT", "SIGTERM", "SIGINT-worker-process"])
def test_a_signal_interrupts_the_run_and_keeps_its_data(tmp_path, signum, config):
    db = tmp_path / "audit.db"
    with HostileSite() as site:
        proc = start_audit(site, tmp_path, db, config)
        wait_for(lambda: len(served_pages(site)) >= 10, "the crawl to start")
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=60)
        served = served_pages(site)
    assert proc.returncode in (0, 1), stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    with sqlite3.connect(db) as conn:
        status, pages, message = conn.execute("select status, pages, message from runs").fetchone()
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert status == "interrupted" and "signal" in message
    stored = stored_pages(db)
    assert 0 < len(stored) < 120
    assert stored <= served
    assert len(served - stored) <= 2  # at most the requests in flight (per_host_concurrency)
    report = (tmp_path / "report.html").read_text()
    assert 'class="banner interrupted"' in report


def test_worker_processes_stop_when_the_audit_is_killed_outright(tmp_path):
    with HostileSite() as site:
        proc = start_audit(site, tmp_path, tmp_path / "audit.db", WORKER)
        wait_for(lambda: pages_in(tmp_path / "audit.db") >= 3, "pages read by the worker")
        workers = children(proc.pid)
        assert workers, "no worker process to watch"
        proc.kill()
        proc.communicate(timeout=30)
        wait_for(lambda: not any(alive(pid) for pid in workers), "the orphaned workers to stop", limit=10)


def test_kill_9_loses_at_most_the_last_batch_and_never_reads_complete(tmp_path):
    db = tmp_path / "audit.db"
    with HostileSite() as site:
        proc = start_audit(site, tmp_path, db)
        wait_for(lambda: pages_in(db) >= 1, "a first batch in the database")
        proc.kill()
        proc.communicate(timeout=30)
        served = served_pages(site)
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    stored = stored_pages(db)
    assert stored and stored <= served
    result = run_cli("report", "--db", str(db), "--format", "json", "-o", "-")
    assert result.code == 0, result.stderr
    run = result.json()["run"]
    assert run["status"] == "interrupted"
    with sqlite3.connect(db) as conn:
        assert conn.execute("select status, message from runs").fetchone()[1].startswith("the crawl process ended")


def fingerprints(db: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute("select code, fingerprint from findings"))


@pytest.fixture(scope="module")
def clean_audit(tmp_path_factory) -> Path:
    """The database of an uninterrupted audit of the slow site."""
    tmp = tmp_path_factory.mktemp("clean")
    with HostileSite() as site:
        proc = start_audit(site, tmp, tmp / "clean.db")
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode in (0, 1), stderr
    return tmp / "clean.db"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_resume_finishes_the_run_as_an_uninterrupted_audit_would(tmp_path, clean_audit, signum):
    db = tmp_path / "audit.db"
    cfg = tmp_path / "slow.toml"
    with HostileSite() as site:
        proc = start_audit(site, tmp_path, db)
        wait_for(lambda: len(served_pages(site)) >= 15 and pages_in(db) >= 1, "the crawl to start")
        proc.send_signal(signum)
        proc.communicate(timeout=60)
        with sqlite3.connect(db) as conn:
            done = {"/" + u.split("/", 3)[3] for (u,) in conn.execute("select url from fetches")}
        before = len(site.requests)
        result = run_cli("audit", site.url + "slow/0", "--config", str(cfg), "--db", str(db), "--resume",
                         "--format", "json", "-o", "-", timeout=120)
        after = [r.path for r in site.requests[before:]]
    assert result.code in (0, 1), result.stderr
    assert result.json()["run"]["id"] == 1 and result.json()["run"]["status"] == "complete"
    assert done and after, "the first run did part, the resumed one the rest"
    assert not set(after) & done, "nothing already done was fetched again"
    with sqlite3.connect(db) as conn, sqlite3.connect(clean_audit) as ref:
        assert conn.execute("select count(*) from runs").fetchone()[0] == 1
        assert (conn.execute("select pages, fetches, findings from runs").fetchone()
                == ref.execute("select pages, fetches, findings from runs").fetchone())
    assert fingerprints(db) == fingerprints(clean_audit)
    assert fingerprints(db)


def test_resume_without_an_interrupted_run_exits_2(tmp_path):
    result = run_cli("audit", "http://127.0.0.1:1/", "--db", str(tmp_path / "a.db"), "--resume")
    assert result.code == 2 and "no interrupted audit" in result.stderr
    assert "Traceback" not in result.stderr
