"""Scheduled audits: a lock per database, a log file, a webhook with the Markdown summary,
progress lines that --quiet turns off. Real servers on 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import ROOT, run_cli
from test_cli_errors import closed_port

PAGE = b"""<!doctype html><html lang="en"><head><title>Tiny shop</title><meta name="description" content="A tiny test shop"></head>
<body><main><h1>Tiny shop</h1><a href="/gone">Old offer</a></main></body></html>"""


class TinyShop:
    """A one-page store; with ``hold=True`` the home page waits until :meth:`release`."""

    def __init__(self, *, hold: bool = False):
        self.arrived = threading.Event()
        self.released = threading.Event()
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        if not hold:
            self.released.set()
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                if self.path == "/":
                    shop.arrived.set()
                    shop.released.wait(120)
                    self._send(200, PAGE)
                else:
                    self._send(404, b"not found")

            do_HEAD = do_GET

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                shop.posts.append((self.path, dict(self.headers), body))
                self._send(200, b"ok")

            def _send(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def release(self):
        self.released.set()

    def close(self):
        self.release()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def shop():
    s = TinyShop()
    yield s
    s.close()


def test_a_second_audit_of_the_same_database_exits_2_while_the_first_runs(tmp_path):
    shop = TinyShop(hold=True)
    db = tmp_path / "audit.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen([sys.executable, "-m", "storeaudit.cli", "audit", shop.url, "--db", str(db),
                              "--format", "json", "-o", str(tmp_path / "first.json"), "-q"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert shop.arrived.wait(60), "the first audit never reached the shop"
        second = run_cli("audit", shop.url, "--db", str(db), "--format", "json", "-o", "-")
        assert second.code == 2
        errors = [line for line in second.stderr.splitlines() if line.startswith("storeaudit: error:")]
        assert len(errors) == 1 and "another audit is already using" in errors[0] and str(db) in errors[0]
        assert second.stdout == ""
        shop.release()
        out, err = first.communicate(timeout=120)
        assert first.returncode == 1, err  # the first audit is unharmed: it finds the broken link
        assert json.loads((tmp_path / "first.json").read_text())["run"]["status"] == "complete"
        with sqlite3.connect(db) as conn:
            assert conn.execute("select count(*) from runs").fetchone() == (1,)
        # once the first has finished, the lock is free again
        assert run_cli("audit", shop.url, "--db", str(db), "-o", str(tmp_path / "r.html"), "-q").code == 1
    finally:
        if first.poll() is None:
            first.kill()
        shop.close()


def test_log_file_webhook_and_progress(shop, tmp_path):
    receiver = TinyShop()  # any local server that records POSTs
    cfg = tmp_path / "sched.toml"
    hook = receiver.url + "hooks/T000/secret-token"
    cfg.write_text(f'[notify]\nwebhook_url = "{hook}"\n')
    log = tmp_path / "audit.log"
    try:
        result = run_cli("audit", shop.url, "--config", str(cfg), "--db", str(tmp_path / "a.db"),
                         "-o", str(tmp_path / "r.html"), "--log-file", str(log))
    finally:
        receiver.close()
    assert result.code == 1, result.stderr
    assert len(receiver.posts) == 1
    path, headers, body = receiver.posts[0]
    assert path == "/hooks/T000/secret-token" and headers["Content-Type"] == "application/json"
    text = json.loads(body)["text"]
    assert text.startswith("## storeaudit: 1 defect on") and "/gone" in text
    # the webhook URL (a secret) is never stored in the database
    with sqlite3.connect(tmp_path / "a.db") as conn:
        assert "secret-token" not in conn.execute("select settings from runs").fetchone()[0]
    logged = log.read_text()
    assert "storeaudit: Audit #1 complete: 1 pages crawled" in logged and "Spider closed (finished)" in logged
    # not a terminal: plain progress lines, the last when the crawl ends
    assert "progress: crawl finished: 1 pages crawled, 2 URLs checked" in result.stderr


def test_quiet_prints_nothing_and_a_failed_webhook_only_warns(shop, tmp_path):
    result = run_cli("audit", shop.url, "--db", str(tmp_path / "a.db"), "-o", str(tmp_path / "r.html"), "-q")
    assert result.code == 1 and result.stderr == ""
    hook = f"http://127.0.0.1:{closed_port()}/hooks/secret-token"
    result = run_cli("audit", shop.url, "--db", str(tmp_path / "a.db"), "-o", str(tmp_path / "r.html"), "-q",
                     "--webhook", hook)
    assert result.code == 1  # the audit's verdict, not the notification's
    assert result.stderr.startswith("storeaudit: warning: notification failed: webhook at http://127.0.0.1 unreachable")
    assert "secret-token" not in result.stderr
