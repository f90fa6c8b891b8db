"""`scrapy crawl audit -a url=…` keeps working beside the CLI, into the same database shape."""

from __future__ import annotations

import os
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


def test_a_pipeline_added_before_the_audit_s_own_gets_every_answer_to_a_head_check(demo_store, tmp_path):
    """HEAD answers go straight to the audit's own pipeline when it is the only one; with
    another before it, each goes through Scrapy's chain of pipelines: that one sees every
    answer, and the audit writes the same fetches."""
    (tmp_path / "counting.py").write_text(
        "from crawler.items import FetchItem\n"
        "class Counting:\n"
        "    def process_item(self, item):\n"
        "        if isinstance(item, FetchItem) and item.method == 'HEAD':\n"
        f"            with open({str(tmp_path / 'heads.txt')!r}, 'a') as f:\n"
        "                f.write(item.url + '\\n')\n"
        "        return item\n")
    heads = {}
    for name, pipelines in (("alone", ""), ("beside", ', "counting.Counting": 200')):
        db = tmp_path / f"{name}.db"
        proc = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "audit", "-a", f"url={demo_store.url}", "-a", f"config={DEMO_CONFIG}",
             "-s", f"STOREAUDIT_DB={db}", "-s", "LOG_LEVEL=ERROR",
             "-s", "STOREAUDIT_HEAD_CHECKS=4", "-s", "STOREAUDIT_HEAD_CHECKS_TOTAL=4",  # as the CLI asks
             "-s", f'ITEM_PIPELINES={{"crawler.pipelines.StorePipeline": 300{pipelines}}}'],
            cwd=ROOT, capture_output=True, text=True, timeout=180, env={**os.environ, "PYTHONPATH": str(tmp_path)})
        assert proc.returncode == 0, proc.stderr
        with sqlite3.connect(db) as conn:
            heads[name] = set(conn.execute("select url, status from fetches where method = 'HEAD'"))
    assert heads["alone"] and heads["beside"] == heads["alone"]
    assert set((tmp_path / "heads.txt").read_text().split()) == {url for url, _ in heads["beside"]}


def test_the_crawl_retries_every_error_scrapy_retries_but_one_only_an_unused_handler_raises():
    from scrapy.settings import default_settings

    from crawler import settings

    unused = "scrapy.core.downloader.handlers.http11.TunnelError"
    assert settings.RETRY_EXCEPTIONS == [e for e in default_settings.RETRY_EXCEPTIONS if e != unused]
    assert not any("http11" in handler for handler in settings.DOWNLOAD_HANDLERS.values())
