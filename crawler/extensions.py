"""Stop politely when the store shuts the audit out."""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import _schedule_coro

from crawler.urls import host_key

__all__ = ["CrawlStopped", "WallGuard"]

#: Statuses with which a store (or its firewall) refuses a client.
REFUSALS = frozenset({403, 429})


class CrawlStopped(IgnoreRequest):
    """A request not sent because the crawl is stopping: no data, a resumed run sends it."""


class WallGuard:
    """Downloader middleware: closes the spider (reason ``wall``, run ``interrupted``) after a
    run of refusals, and sends nothing more to the store once it has.

    Reads ``STOREAUDIT_WALL_AFTER`` (default 30): that many 403/429 answers in a row from the
    store's own hosts, to GET requests, after retries, mean a firewall or rate limiter is
    blocking the audit; going on would only hammer it and fill the report with false alarms.
    HEAD refusals are not counted: many servers refuse HEAD alone and the spider retries those
    with GET. Requests already queued are dropped (:class:`CrawlStopped`) instead of sent.
    """

    def __init__(self, crawler: Crawler, limit: int):
        self.crawler = crawler
        self.limit = limit
        self.in_a_row = 0
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WallGuard:
        return cls(crawler, crawler.settings.getint("STOREAUDIT_WALL_AFTER", 30))

    def _own(self, url: str) -> bool:
        return host_key(url) in getattr(self.crawler.spider, "site_hosts", ())

    def process_request(self, request: Request, spider: object = None) -> None:
        if self.closing and self._own(request.url):
            raise CrawlStopped(f"not sent: the store refused {self.in_a_row} requests in a row")

    def process_response(self, request: Request, response: Response, spider: object = None) -> Response:
        if request.method != "GET" or not self._own(response.url):
            return response
        if response.status not in REFUSALS:
            self.in_a_row = 0
            return response
        self.in_a_row += 1
        if self.in_a_row >= self.limit and not self.closing:
            self.closing = True
            self.crawler.stats.set_value("storeaudit/wall", self.in_a_row)  # type: ignore[union-attr]
            _schedule_coro(self.crawler.engine.close_spider_async(reason="wall"))  # type: ignore[union-attr]
        return response
