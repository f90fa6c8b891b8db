"""Scrapy settings for one audit, made from a storeaudit config."""

from __future__ import annotations

from pathlib import Path

from scrapy.settings import Settings

from config import Config

__all__ = ["scrapy_settings"]


def scrapy_settings(config: Config, *, db_path: str | Path, local: bool = False) -> Settings:
    """Project settings (``crawler.settings``) with the config's limits and politeness applied.

    ``local`` says the store is on this machine; AutoThrottle's ``auto`` mode is off for it.
    """
    s = Settings()
    s.setmodule("crawler.settings", priority="project")
    autothrottle = config["crawl.autothrottle"]
    s.setdict({
        "STOREAUDIT_DB": str(db_path),
        "CONCURRENT_REQUESTS": config["crawl.concurrency"],
        "CONCURRENT_REQUESTS_PER_DOMAIN": config["crawl.per_host_concurrency"],
        "DOWNLOAD_DELAY": config["crawl.delay"],
        "DOWNLOAD_TIMEOUT": config["crawl.timeout"],
        "RETRY_TIMES": config["crawl.retries"],
        "STOREAUDIT_MAX_RETRY_AFTER": config["crawl.max_retry_after"],
        "USER_AGENT": config["crawl.user_agent"],
        "ROBOTSTXT_OBEY": config["crawl.respect_robots"],
        "DOWNLOAD_MAXSIZE": config["crawl.max_page_size"],
        "STOREAUDIT_WALL_AFTER": config["crawl.wall_after"],
        "AUTOTHROTTLE_ENABLED": autothrottle == "on" or (autothrottle == "auto" and not local),
    }, priority="cmdline")
    return s
