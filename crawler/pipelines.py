"""Item pipeline: store every fetch, page and edge in the audit database, run page checks.

Pages are checked here, while their parsed tree is at hand, and the tree is dropped right
after: nothing per page stays in memory once written. When the spider closes, the run is
finished (site checks, routing, status) by :func:`storeaudit.audit.finish_run`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from checks.runner import PageCheckRunner
from crawler.items import FetchItem, PageItem
from storeaudit.store import BatchWriter, create_run, open_db

logger = logging.getLogger(__name__)

__all__ = ["StorePipeline"]


class StorePipeline:
    """Reads ``STOREAUDIT_DB`` (path of the audit database, default ``storeaudit.db``)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("STOREAUDIT_DB", "storeaudit.db")
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider: Any = self.crawler.spider
        self.db = open_db(self.db_path)
        if spider.run_id is None:  # started as `scrapy crawl audit`, not by the CLI
            from storeaudit.audit import new_run

            spider.run_id = new_run(self.db, spider.start_url, spider.config, as_of=spider.as_of)
        self.run_id: int = spider.run_id
        self.writer = BatchWriter(self.db)
        self.page_checks = PageCheckRunner(spider.config, site_hosts=spider.site_hosts, as_of=spider.as_of)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PageItem):
            with self.writer.together():
                self._write_fetch(item.fetch)
                self._write_page(item)
            return None
        if isinstance(item, FetchItem):
            self._write_fetch(item)
            return None
        return item

    def _write_fetch(self, fetch: FetchItem) -> None:
        self.writer.add("fetches", {
            "run_id": self.run_id, "url": fetch.url, "method": fetch.method, "status": fetch.status,
            "error": fetch.error, "skipped": fetch.skipped, "content_type": fetch.content_type,
            "size": fetch.size, "final_url": fetch.final_url or fetch.url,
            "chain": json.dumps(fetch.chain) if fetch.chain else "", "elapsed_ms": fetch.elapsed_ms,
            "same_site": int(fetch.same_site), "last_modified": fetch.last_modified,
        })

    def _write_page(self, item: PageItem) -> None:
        page = item.page
        run_id = self.run_id
        self.writer.add("pages", {
            "run_id": run_id, "url": page.url, "status": page.status, "depth": page.depth,
            "title": page.title, "lang": page.lang, "ids": json.dumps(sorted(set(page.ids))),
            "via": "",
        })
        self.writer.extend("links", ({
            "run_id": run_id, "source": page.url, "target": r.url, "fragment": r.fragment,
            "kind": r.kind, "text": r.text, "region": r.region,
        } for r in page.refs))
        self.writer.extend("findings", (self.page_checks.row(run_id, f) for f in self.page_checks.run(page)))
        page.root = None  # the tree is the biggest thing a page holds; let it go now

    def close_spider(self) -> None:
        self.writer.flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        from storeaudit.audit import finish_run

        self.writer.flush()
        finish_run(self.db, self.run_id, spider.config, reason=reason, start_url=spider.start_url,
                   site_hosts=spider.site_hosts, limits_hit=spider.limits_hit, as_of=spider.as_of)
