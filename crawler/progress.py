"""Progress of an audit on stderr, fed by the crawl's stats (a Scrapy extension).

On a terminal a live line (``rich``): pages crawled, URLs checked, queue, findings, rate and
elapsed time. When stderr is not a terminal (cron, CI) a plain line every
``STOREAUDIT_PROGRESS_INTERVAL`` seconds instead, and always one when the crawl ends.

Settings: ``STOREAUDIT_PROGRESS`` (bool, default False: the extension is off, e.g. ``--quiet``),
``STOREAUDIT_PROGRESS_INTERVAL`` (seconds between plain lines, default 10). The counts are the
stats ``storeaudit/pages``, ``storeaudit/fetches`` and ``storeaudit/findings`` that
``crawler.pipelines.StorePipeline`` keeps.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

__all__ = ["AuditProgress"]

TTY_REFRESH = 0.5  # seconds between updates of the live line


class AuditProgress:
    def __init__(self, crawler: Crawler, *, interval: float, stream: TextIO):
        self.crawler = crawler
        self.interval = interval
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.task: Any = None
        self.live: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AuditProgress:
        if not crawler.settings.getbool("STOREAUDIT_PROGRESS"):
            raise NotConfigured
        ext = cls(crawler, interval=crawler.settings.getfloat("STOREAUDIT_PROGRESS_INTERVAL", 10.0),
                  stream=sys.stderr)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def snapshot(self) -> dict[str, float]:
        stats = self.crawler.stats
        engine = self.crawler.engine
        scheduler = getattr(engine, "scheduler", None) if engine else None
        try:
            queued = len(scheduler) if scheduler is not None else 0  # type: ignore[arg-type]
        except TypeError:  # a scheduler without a length
            queued = 0
        in_flight = len(engine.downloader.active) if engine else 0
        head_checks = getattr(self.crawler.spider, "head_checks", None)  # checks beside Scrapy
        in_flight += head_checks.pending if head_checks is not None else 0
        elapsed = time.monotonic() - self.started
        pages = stats.get_value("storeaudit/pages", 0) if stats else 0
        return {"pages": pages, "fetches": stats.get_value("storeaudit/fetches", 0) if stats else 0,
                "queue": queued + in_flight, "findings": stats.get_value("storeaudit/findings", 0) if stats else 0,
                "rate": pages / elapsed if elapsed > 0 else 0.0, "elapsed": elapsed}

    def line(self) -> str:
        s = self.snapshot()
        minutes, seconds = divmod(int(s["elapsed"]), 60)
        return (f"{s['pages']} pages crawled, {s['fetches']} URLs checked, {s['queue']} queued, "
                f"{s['findings']} findings, {s['rate']:.1f} pages/s, {minutes}:{seconds:02d} elapsed")

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        if self.tty:
            from rich.console import Console
            from rich.live import Live

            self.live = Live(self.line(), console=Console(file=self.stream), transient=True,
                             refresh_per_second=4)
            self.live.start()
        self.task = _looping_call(self.tick)
        self.task.start(TTY_REFRESH if self.tty else self.interval, now=False)

    def tick(self) -> None:
        if self.live is not None:
            self.live.update(self.line())
        else:
            self.stream.write(f"progress: {self.line()}\n")
            self.stream.flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.live is not None:
            self.live.stop()
            self.live = None
        self.stream.write(f"progress: crawl {reason}: {self.line()}\n")
        self.stream.flush()


def _looping_call(func: Any) -> Any:
    try:
        from scrapy.utils.asyncio import create_looping_call
    except ImportError:  # Scrapy before 2.13
        from twisted.internet.task import LoopingCall

        return LoopingCall(func)
    return create_looping_call(func)
