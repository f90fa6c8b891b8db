"""Item pipeline: store every fetch, page and edge in the audit database, run page checks.

Pages are checked here, while their parsed tree is at hand, and the tree is dropped right
after: nothing per page stays in memory once written. When the spider closes, the run is
finished (site checks, routing, status) by :func:`storeaudit.audit.finish_run`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from checks.page_kinds import page_kind
from checks.runner import PageCheckRunner
from crawler.extract import ParsedPage, Reference
from crawler.items import FetchItem, PageItem, SitemapEntryItem
from storeaudit.store import LINK_COLUMNS, PAGE_PART_COLUMNS, PART_LINK_COLUMNS, BatchWriter, crawl_writer, open_db

logger = logging.getLogger(__name__)

__all__ = ["StorePipeline", "link_rows", "page_row", "write_links"]


FETCH_COLUMNS = ("run_id", "url", "method", "status", "error", "skipped", "content_type", "size", "final_url",
                 "chain", "elapsed_ms", "same_site", "last_modified")


def link_values(run_id: int, page: ParsedPage, refs: list[Reference] | None = None) -> list[tuple[Any, ...]]:
    """The ``links`` rows of a parsed page (or of ``refs``, some of its references), one edge
    per reference, as values of LINK_COLUMNS."""
    source = page.url
    return [(run_id, source, r.url, r.fragment, r.kind, r.text, r.region)
            for r in (page.refs if refs is None else refs)]


def write_links(writer: BatchWriter, run_id: int, page: ParsedPage, parts_written: set[int]) -> None:
    """A page's links: its own as ``links`` rows; those of a template part a page worker named
    by id (``ParsedPage.parts``) as one ``page_parts`` row, with the part's links written once
    a run (``part_links``; ``parts_written`` holds the ids written) and made ``links`` rows of
    every page that has the part when the crawl is over (``storeaudit.store.expand_parts``).
    About half a product page's ~150 links are its header's, menu's and footer's, and the
    crawler's database writes were ~30 % of its main thread (py-spy, 10,000 pages)."""
    if not page.parts:
        writer.add_values("links", LINK_COLUMNS, link_values(run_id, page))
        return
    own: list[Reference] = []
    at = 0
    refs = page.refs
    for part_id, start, stop in page.parts:
        if stop < 0:  # named by its id: the part's links are written
            continue
        own += refs[at:start]
        at = stop
        if part_id not in parts_written:
            parts_written.add(part_id)
            writer.add_values("part_links", PART_LINK_COLUMNS, [
                (run_id, part_id, r.url, r.fragment, r.kind, r.text, r.region) for r in refs[start:stop]])
    own += refs[at:]
    writer.add_values("links", LINK_COLUMNS, link_values(run_id, page, own))
    writer.add_values("page_parts", PAGE_PART_COLUMNS, [(run_id, page.url, part_id) for part_id, _, _ in page.parts])


def link_rows(run_id: int, page: ParsedPage) -> Iterator[dict[str, Any]]:
    """The ``links`` rows of a parsed page: one edge per reference."""
    for values in link_values(run_id, page):
        yield dict(zip(LINK_COLUMNS, values))


def page_row(run_id: int, page: ParsedPage) -> dict[str, Any]:
    """The ``pages`` row of a parsed page: the facts site checks compare across pages."""
    return {
        "run_id": run_id, "url": page.url, "status": page.status, "depth": page.depth,
        "title": page.title, "lang": page.lang, "ids": json.dumps(sorted(set(page.ids))), "via": "",
        "description": page.description, "availability": page.availability,
        "copyright_year": page.copyright_year, "modified": page.modified,
        "promo_links": json.dumps(page.promo_links) if page.promo_links else "",
        "kind": page.kind if page.kind is not None else page_kind(page),
    }


class StorePipeline:
    """Reads ``STOREAUDIT_DB`` (path of the audit database, default ``storeaudit.db``)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("STOREAUDIT_DB", "storeaudit.db")
        self._counted: dict[str, int] = {}  # not yet passed on to the stats collector
        self._uncounted = 0
        # Ids of the template parts whose links are written (``write_links``): at most
        # crawler.page_work.PARTS_SENT per page worker, 8 bytes each.
        self._parts: set[int] = set()
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
        self.writer = crawl_writer(self.db)
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
        if isinstance(item, SitemapEntryItem):
            self.writer.add("sitemap_entries", {"run_id": self.run_id, "url": item.url, "lastmod": item.lastmod})
            return None
        return item

    def _count(self, key: str, n: int = 1) -> None:
        """Stats the progress extension (crawler/progress.py) shows, passed on every 256 rows:
        Scrapy's stats collector costs ~2 µs a call (20 times a local count), and a page writes ~37 fetch rows."""
        self._counted[key] = self._counted.get(key, 0) + n
        self._uncounted += 1
        if self._uncounted >= 256:
            self._pass_counts()

    def _pass_counts(self) -> None:
        self._uncounted = 0
        stats = self.crawler.stats
        for key, n in self._counted.items():
            if n and stats is not None:
                stats.inc_value(f"storeaudit/{key}", n)
        self._counted = {}

    def _write_fetch(self, fetch: FetchItem) -> None:
        self._count("fetches")
        self.writer.add_values("fetches", FETCH_COLUMNS, [(
            self.run_id, fetch.url, fetch.method, fetch.status, fetch.error, fetch.skipped, fetch.content_type,
            fetch.size, fetch.final_url or fetch.url, json.dumps(fetch.chain) if fetch.chain else "",
            fetch.elapsed_ms, int(fetch.same_site), fetch.last_modified)])

    def _write_page(self, item: PageItem) -> None:
        page = item.page
        run_id = self.run_id
        self.writer.add("pages", page_row(run_id, page))
        write_links(self.writer, run_id, page, self._parts)
        found = item.findings if item.findings is not None else self.page_checks.run(page)
        findings = [self.page_checks.row(run_id, f) for f in found]
        self.writer.extend("findings", findings)
        self._count("pages")
        self._count("findings", len(findings))
        self.writer.extend("flow_candidates", ({
            "run_id": run_id, "page": page.url, "action": f.action, "method": f.method, "button": f.button,
            "marker": f.marker, "fields": json.dumps(f.fields), "template": page.template,
            "in_stock": int(page.in_stock),
        } for f in page.forms))
        page.root = None  # the tree is the biggest thing a page holds; let it go now
        page.derived.clear()  # and the text the checks read from it

    def close_spider(self) -> None:
        self._pass_counts()
        self.writer.flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        from storeaudit.audit import finish_run

        self._pass_counts()
        self.writer.close()
        finish_run(self.db, self.run_id, spider.config, reason=reason, start_url=spider.start_url,
                   site_hosts=spider.site_hosts, limits_hit=spider.limits_hit, as_of=spider.as_of)
