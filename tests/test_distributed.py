"""Distributed audits: worker processes share one audit through a real Redis server.

Redis is started here on a free port of 127.0.0.1 (``redis-server`` from Debian, installed by
.ci/run). Each audit gets a fresh demo store, because its access log is what proves that no
URL was fetched twice and its 429-once route is stateful.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from storeaudit.demo import DEMO_CONFIG
from storeaudit.demo.server import DemoServer
from tests.conftest import ROOT, run_cli

redis = pytest.importorskip("redis", reason="distributed audits need the redis package (pip install '.[test]')")
pytest.importorskip("scrapy_redis", reason="distributed audits need scrapy-redis (pip install '.[test]')")

AS_OF = "2026-11-25"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does)")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _fingerprints(report: dict[str, Any]) -> list[str]:
    return sorted(f["fingerprint"] for f in report["findings"])


def _same_findings(report: dict[str, Any], expected: dict[str, Any]) -> None:
    got, want = Counter(_fingerprints(report)), Counter(_fingerprints(expected))
    if got != want:
        show = {f["fingerprint"]: (f["code"], f["page"], f["target"]) for f in report["findings"] + expected["findings"]}
        pytest.fail(f"extra: {[show[k] for k in got - want]}; missing: {[show[k] for k in want - got]}")


def _slow_config(folder: Path) -> Path:
    """The demo config with a delay between requests, so that a crawl is surely mid-way when
    a test interrupts it (the delay changes no finding)."""
    path = folder / "slow.toml"
    path.write_text(DEMO_CONFIG.read_text().replace("[crawl]\n", "[crawl]\ndelay = 0.15\n", 1))
    return path


def _audit(server: DemoServer, folder: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "storeaudit.cli", "audit", server.url, "--db", str(folder / "audit.db"),
            "--format", "json", "--output", str(folder / "report.json"), "--as-of", AS_OF, "-q", *args]


def _popen(args: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate: Any, proc: subprocess.Popen[str], what: str) -> None:
    """Poll until ``predicate()``; fail (with the audit's stderr) if the audit ends first."""
    while not predicate():
        if proc.poll() is not None:
            pytest.fail(f"the audit ended before {what}: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)


def _stored_urls(db_path: Path) -> set[str]:
    with sqlite3.connect(db_path) as db:
        return {url for (url,) in db.execute("select url from fetches")}


def test_three_workers_find_what_one_process_finds_fetching_each_url_once(demo_audit, redis_url, tmp_path):
    single_dir, multi_dir = tmp_path / "single", tmp_path / "multi"
    single_dir.mkdir(), multi_dir.mkdir()
    with DemoServer() as server:  # the same audit in one process, for its access log
        single = run_cli(*_audit(server, single_dir, "--config", str(DEMO_CONFIG))[3:])
        single_log = Counter(server.requests)
    with DemoServer() as server:
        multi = run_cli(*_audit(server, multi_dir, "--config", str(DEMO_CONFIG), "--workers", "3",
                                "--redis", redis_url)[3:])
        multi_log = Counter(server.requests)
    assert single.code == multi.code == 1, (single.stderr, multi.stderr)
    report = json.loads((multi_dir / "report.json").read_text())
    assert report["run"]["status"] == "complete"
    _same_findings(report, demo_audit)
    # Each worker's robots.txt middleware reads robots.txt itself; nothing else is fetched
    # more often than by one process (which fetches a redirect target and a retried URL again).
    robots = ("GET", "/robots.txt")
    assert multi_log.pop(robots) <= single_log.pop(robots) + 3
    assert multi_log == single_log
    assert not redis.Redis.from_url(redis_url).keys("storeaudit:*")  # a finished audit leaves nothing


def test_killing_a_worker_mid_audit_loses_nothing(demo_audit, redis_url, tmp_path):
    from crawler.distributed import KEYS

    client = redis.Redis.from_url(redis_url)
    with DemoServer() as server:
        proc = _popen(_audit(server, tmp_path, "--config", str(_slow_config(tmp_path)), "--workers", "2",
                             "--redis", redis_url, "--worker-timeout", "2"))
        # A worker that holds requests in flight (popped from Redis, not yet answered)...
        victims: dict[str, Any] = {}

        def worker_with_requests_in_flight() -> bool:
            beats = {w.decode(): json.loads(b) for w, b in client.hgetall(KEYS["workers"]).items()}
            held: dict[str, list[str]] = {}
            for field, data in client.hgetall(KEYS["inflight"]).items():
                info = pickle.loads(data)["meta"].get("sa")  # robots.txt and sitemaps have none
                if info:
                    held.setdefault(field.decode().split("|", 1)[0], []).append(info["url"])
            for worker, urls in held.items():
                if worker in beats and len(urls) >= 2 and len(server.requests) >= 10:
                    victims.update(pid=beats[worker]["pid"], urls=urls)
                    return True
            return False

        _wait_for(worker_with_requests_in_flight, proc, "a worker held requests")
        os.kill(victims["pid"], signal.SIGKILL)  # ...is killed with them
        _, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 1, stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["run"]["status"] == "complete"
    _same_findings(report, demo_audit)
    stored = _stored_urls(tmp_path / "audit.db")
    assert set(victims["urls"]) <= stored


def test_an_interrupted_distributed_audit_resumes_from_redis(demo_audit, redis_url, tmp_path):
    from crawler.distributed import KEYS

    client = redis.Redis.from_url(redis_url)
    config = str(_slow_config(tmp_path))
    with DemoServer() as server:
        proc = _popen(_audit(server, tmp_path, "--config", config, "--workers", "1", "--redis", redis_url))
        _wait_for(lambda: len(server.requests) >= 15, proc, "15 requests")
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
        first = json.loads((tmp_path / "report.json").read_text())
        assert first["run"]["status"] == "interrupted"
        assert client.zcard(KEYS["requests"]) > 0  # the frontier waits in Redis
        done_before = Counter(server.requests)
        resumed = run_cli(*_audit(server, tmp_path, "--config", config, "--workers", "2", "--redis", redis_url,
                                  "--resume")[3:])
        again = Counter(server.requests) - done_before
    assert resumed.code == 1, resumed.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["run"]["id"] == first["run"]["id"] and report["run"]["status"] == "complete"
    _same_findings(report, demo_audit)
    # What the first part fetched and stored is not fetched again (robots.txt: each worker's own).
    stored_first = {p for (_, p) in done_before}
    refetched = {p for (_, p) in again} & stored_first - {"/robots.txt"}
    assert len(refetched) <= 3, refetched  # at most what was in flight when it stopped


def test_a_worker_without_an_audit_in_redis_says_so(redis_url):
    redis.Redis.from_url(redis_url).delete("storeaudit:meta")
    result = run_cli("worker", "--redis", redis_url)
    assert result.code == 2 and result.stderr.startswith("storeaudit: error: no audit in Redis at"), result.stderr
    gone = run_cli("worker", "--redis", f"redis://:s3cret@127.0.0.1:{_free_port()}/0")
    assert gone.code == 2 and "cannot reach Redis at redis://***@127.0.0.1:" in gone.stderr, gone.stderr
    assert "s3cret" not in gone.stderr and "Traceback" not in gone.stderr


def test_the_single_process_audit_never_imports_redis():
    code = ("import sys, storeaudit.cli, storeaudit.audit, crawler.pipelines, crawler.spiders.audit; "
            "assert not any(m.split('.')[0] in ('redis', 'scrapy_redis') for m in sys.modules), 'redis imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
