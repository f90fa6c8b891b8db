"""Scrapy settings for one audit, made from a storeaudit config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from config import Config
from crawler.urls import host_key

if TYPE_CHECKING:
    from scrapy.settings import Settings

__all__ = ["page_processes", "scrapy_settings", "site_hosts"]

#: Worker processes "auto" starts at most: past that the crawler process itself is the limit.
AUTO_MAX = 3


def site_hosts(url: str, config: Config) -> set[str]:
    """The store's hosts (``host_key``): the start URL's and ``crawl.same_site_hosts``."""
    return {host_key(url)} | {h.lower() for h in config["crawl.same_site_hosts"]}


def page_processes(config: Config) -> int:
    """Worker processes that read and check pages (crawler/page_work.py): the config's number,
    or with -1 ("auto") one per core beyond the crawler's own, up to AUTO_MAX."""
    wanted = config["crawl.page_processes"]
    return min(AUTO_MAX, (os.cpu_count() or 1) - 1) if wanted < 0 else wanted


def scrapy_settings(config: Config, *, db_path: str | Path, local: bool = False,
                    helpers: bool = True) -> Settings:
    """Project settings (``crawler.settings``) with the config's limits and politeness applied.

    ``local`` says the store is on this machine; AutoThrottle's ``auto`` mode is off for it.
    ``helpers=False`` keeps every request in Scrapy and every page in this process (workers of
    a distributed audit: their requests must all go through Redis, and they are processes
    of their own).
    """
    from scrapy.settings import Settings  # here: the audit starts its page workers before it imports Scrapy

    s = Settings()
    s.setmodule("crawler.settings", priority="project")
    autothrottle = config["crawl.autothrottle"]
    throttled = bool(config["crawl.delay"]) or autothrottle == "on" or (autothrottle == "auto" and not local)
    total, per_host = config["crawl.concurrency"], config["crawl.per_host_concurrency"]
    # Plain HEAD checks beside Scrapy (crawler/head_checks.py) get half of each concurrency;
    # below 4 per host that would leave pages a single request at a time.
    head = (helpers and config["crawl.fast_checks"] and config["crawl.head_first"] and not throttled
            and min(total, per_host) >= 4)
    head_per_host, head_total = (per_host // 2, total // 2) if head else (0, 0)
    s.setdict({
        "STOREAUDIT_DB": str(db_path),
        "CONCURRENT_REQUESTS": total - head_total,
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_host - head_per_host,
        "STOREAUDIT_HEAD_CHECKS": head_per_host,
        "STOREAUDIT_HEAD_CHECKS_TOTAL": head_total,
        "STOREAUDIT_HEAD_PIPELINE": config["crawl.pipeline_checks"],
        "STOREAUDIT_PAGE_PROCESSES": page_processes(config) if helpers else 0,
        "DOWNLOAD_DELAY": config["crawl.delay"],
        "DOWNLOAD_TIMEOUT": config["crawl.timeout"],
        "RETRY_TIMES": config["crawl.retries"],
        "STOREAUDIT_MAX_RETRY_AFTER": config["crawl.max_retry_after"],
        "USER_AGENT": config["crawl.user_agent"],
        "ROBOTSTXT_OBEY": config["crawl.respect_robots"],
        "DOWNLOAD_MAXSIZE": config["crawl.max_page_size"],
        "STOREAUDIT_WALL_AFTER": config["crawl.wall_after"],
        "AUTOTHROTTLE_ENABLED": throttled and autothrottle != "off",
    }, priority="cmdline")
    return s
