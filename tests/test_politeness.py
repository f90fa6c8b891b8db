"""Politeness: a store that refuses the audit again and again is left alone, with a clear message."""

from __future__ import annotations

import sqlite3

from conftest import run_cli
from hostile_site import HostileSite
from storeaudit.audit import is_local
from crawler.runner import scrapy_settings
from config import load_config


def test_a_wall_of_refusals_stops_the_audit_politely(tmp_path):
    cfg = tmp_path / "wall.toml"
    cfg.write_text("[crawl]\nwall_after = 10\nuse_sitemaps = false\n")
    db = tmp_path / "audit.db"
    with HostileSite() as site:
        result = run_cli("audit", site.url + "wall/", "--config", str(cfg), "--db", str(db), "--format", "html",
                         "-o", str(tmp_path / "report.html"), timeout=120)
        refused = site.count("/wall/p/")
    assert result.code in (0, 1), result.stderr
    assert "refused 10 requests in a row" in result.stderr
    # the wall, plus at most the requests already handed to the downloader (CONCURRENT_REQUESTS,
    # 16); never the other 200 - 26 links
    assert refused <= 10 + 16, refused
    with sqlite3.connect(db) as conn:
        status, message = conn.execute("select status, message from runs").fetchone()
    assert status == "interrupted" and "403/429" in message
    assert "refused 10 requests in a row" in (tmp_path / "report.html").read_text()


def test_per_host_concurrency_holds(tmp_path):
    """Scrapy's downloader alone let 14 requests at once through to a store configured for 2."""
    cfg = tmp_path / "polite.toml"
    cfg.write_text("[crawl]\nper_host_concurrency = 2\nmax_pages = 25\nuse_sitemaps = false\n")
    with HostileSite() as site:
        result = run_cli("audit", site.url + "slow/0", "--config", str(cfg), "--db", str(tmp_path / "a.db"),
                         "--format", "json", "-o", "-", timeout=120)
        peak, served = site.peak, site.count("/slow/")
    assert result.code in (0, 1), result.stderr
    assert served >= 25
    assert peak == 2


def test_autothrottle_is_on_by_default_except_for_this_machine():
    config = load_config()
    assert scrapy_settings(config, db_path="x.db", local=False).getbool("AUTOTHROTTLE_ENABLED")
    assert not scrapy_settings(config, db_path="x.db", local=True).getbool("AUTOTHROTTLE_ENABLED")
    assert is_local("http://127.0.0.1:8000/") and is_local("http://localhost/")
    assert not is_local("https://shop.example/")
