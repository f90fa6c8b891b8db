"""Scrapy settings for one audit, made from a storeaudit config."""

from __future__ import annotations

from pathlib import Path

from scrapy.settings import Settings

from config import Config

__all__ = ["scrapy_settings"]


def scrapy_settings(config: Config, *, db_path: str | Path, local: bool = False,
                    head_checks: bool = True) -> Settings:
    """Project settings (``crawler.settings``) with the config's limits and politeness applied.

    ``local`` says the store is on this machine; AutoThrottle's ``auto`` mode is off for it.
    ``head_checks=False`` keeps every request in Scrapy (workers of a distributed audit, whose
    requests must all go through Redis).
    """
    s = Settings()
    s.setmodule("crawler.settings", priority="project")
    autothrottle = config["crawl.autothrottle"]
    throttled = bool(config["crawl.delay"]) or autothrottle == "on" or (autothrottle == "auto" and not local)
    total, per_host = config["crawl.concurrency"], config["crawl.per_host_concurrency"]
    # Plain HEAD checks beside Scrapy (crawler/head_checks.py) get half of each concurrency.
    head = head_checks and config["crawl.fast_checks"] and config["crawl.head_first"] and not throttled and min(total, per_host) >= 2
    head_per_host, head_total = (per_host // 2, total // 2) if head else (0, 0)
    s.setdict({
        "STOREAUDIT_DB": str(db_path),
        "CONCURRENT_REQUESTS": total - head_total,
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_host - head_per_host,
        "STOREAUDIT_HEAD_CHECKS": head_per_host,
        "STOREAUDIT_HEAD_CHECKS_TOTAL": head_total,
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
