"""`scrapy crawl audit -a url=…` keeps working beside the CLI, into the same database shape."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from conftest import ROOT
from storeaudit.demo import DEMO_CONFIG


def test_scrapy_crawl_audit_writes_a_complete_run(demo_store, tmp_path):
    db = tmp_path / "scrapy.db"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "audit", "-a", f"url={demo_store.url}",
         "-a", f"config={DEMO_CONFIG}", "-s", f"STOREAUDIT_DB={db}", "-s", "LOG_LEVEL=ERROR"],
        cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    with sqlite3.connect(db) as conn:
        status, pages = conn.execute("select status, pages from runs").fetchone()
        codes = {c for (c,) in conn.execute("select distinct code from findings")}
    assert status == "complete"
    assert pages >= 20
    assert {"LINK001", "IMG001", "LINK003"} <= codes


def test_the_crawl_retries_every_error_scrapy_retries_but_one_only_an_unused_handler_raises():
    from scrapy.settings import default_settings

    from crawler import settings

    unused = "scrapy.core.downloader.handlers.http11.TunnelError"
    assert settings.RETRY_EXCEPTIONS == [e for e in default_settings.RETRY_EXCEPTIONS if e != unused]
    assert not any("http11" in handler for handler in settings.DOWNLOAD_HANDLERS.values())
