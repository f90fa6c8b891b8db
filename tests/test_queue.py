"""Pages found and not fetched yet wait on disk, in a folder of the audit's own that goes when it ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from hostile_site import HostileSite
from test_interrupt_resume import wait_for


def queued_bytes(tmp: Path) -> int:
    total = 0
    for path in tmp.glob("storeaudit-queue-*/**/*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except FileNotFoundError:  # the queue moves on while it is looked at
            pass
    return total


def test_pending_pages_are_queued_on_disk_and_the_queue_goes_with_the_audit(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cfg = tmp_path / "audit.toml"
    cfg.write_text("[crawl]\nper_host_concurrency = 2\nuse_sitemaps = false\n")
    with HostileSite() as site:  # /slow/ is a tree of 100 pages answered slowly
        proc = subprocess.Popen(
            [sys.executable, "-m", "storeaudit.cli", "audit", site.url + "slow/0", "--config", str(cfg),
             "--db", str(tmp_path / "audit.db"), "--format", "json", "-o", str(tmp_path / "r.json")],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: queued_bytes(tmp) > 0, "requests written to the disk queue")
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode in (0, 1), stderr
    assert not list(tmp.glob("storeaudit-queue-*"))


def test_a_request_written_to_the_queue_names_the_callbacks_scrapys_own_search_finds():
    from scrapy import Request
    from scrapy.utils.request import request_from_dict

    from config import load_config
    from crawler.queue import AuditRequest
    from crawler.spiders.audit import AuditSpider

    spider = AuditSpider(url="http://127.0.0.1:8000/", config=load_config(None), run_id=1, as_of=None)
    for follow in (True, False):
        request = spider._request("http://127.0.0.1:8000/p", depth=1, follow=follow)
        assert isinstance(request, AuditRequest)
        written = request.to_dict(spider=spider)
        assert written == Request.to_dict(request, spider=spider)  # what getmembers finds
        read = request_from_dict(written, spider=spider)
        assert (type(read), read.callback, read.errback) == (AuditRequest, request.callback, request.errback)

    class Alias(AuditSpider):
        other_name = AuditSpider.parse_check  # Scrapy's search finds this name first

    alias = Alias(url="http://127.0.0.1:8000/", config=load_config(None), run_id=1, as_of=None)
    renamed = AuditRequest("http://127.0.0.1:8000/p", callback=alias.other_name)
    assert request_from_dict(renamed.to_dict(spider=alias), spider=alias).callback == alias.parse_check

    foreign = AuditRequest("http://127.0.0.1:8000/p", callback=print)
    with pytest.raises(ValueError, match="not an instance method"):  # as Scrapy says it
        foreign.to_dict(spider=spider)
