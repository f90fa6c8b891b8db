"""Crawl extensions: stop politely when the store shuts the audit out."""

from __future__ import annotations

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import _schedule_coro

from crawler.urls import host_key

__all__ = ["WallGuard"]

#: Statuses with which a store (or its firewall) refuses a client.
REFUSALS = frozenset({403, 429})


class WallGuard:
    """Closes the spider (reason ``wall``, run ``interrupted``) after a run of refusals.

    Reads ``STOREAUDIT_WALL_AFTER`` (default 30): that many 403/429 answers in a row from the
    store's own hosts, to GET requests, mean a firewall or rate limiter is blocking the audit.
    Going on would only hammer it and fill the report with false alarms. HEAD refusals are not
    counted: many servers refuse HEAD alone and the spider retries those with GET.
    """

    def __init__(self, crawler: Crawler, limit: int):
        self.crawler = crawler
        self.limit = limit
        self.in_a_row = 0
        self.closing = False
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WallGuard:
        return cls(crawler, crawler.settings.getint("STOREAUDIT_WALL_AFTER", 30))

    def response_received(self, response: Response, request: Request) -> None:
        spider = self.crawler.spider
        if request.method != "GET" or host_key(response.url) not in getattr(spider, "site_hosts", ()):
            return
        if response.status not in REFUSALS:
            self.in_a_row = 0
            return
        self.in_a_row += 1
        if self.in_a_row >= self.limit and not self.closing:
            self.closing = True
            self.crawler.stats.set_value("storeaudit/wall", self.in_a_row)  # type: ignore[union-attr]
            _schedule_coro(self.crawler.engine.close_spider_async(reason="wall"))  # type: ignore[union-attr]
