"""Scrapy's scheduler with the pending requests on disk, so memory stays flat on big stores.

Why: every page the crawl has found and not fetched yet waits in the scheduler. In memory
that is a few KB of Request per page, and on a catalogue of 100,000 pages tens of thousands
wait at once. Scrapy keeps them on disk when it has a job directory (``JOBDIR``), but a job
directory also means resuming Scrapy's own state, which storeaudit does from its database
(``--resume``). So each audit gets a private temporary directory for the queue alone,
removed when the crawl ends.

Requests the spider makes are :class:`AuditRequest`, which names its callbacks for the disk
queue without searching the spider for them.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.dupefilters import BaseDupeFilter
from scrapy.utils.misc import build_from_crawler, load_object

__all__ = ["AuditRequest", "DiskQueueScheduler"]


class AuditRequest(Request):
    """A Request that names its callback and errback by their own names when it is written
    to the disk queue.

    Scrapy's ``to_dict`` finds each name with ``inspect.getmembers(spider)``, which reads
    every attribute of the spider: ~25 µs a callback, twice a request, and 4 % of the
    crawler's CPU on the bench store (py-spy). A spider method is named by its own name, which
    reads back as the same method; any other callable still goes Scrapy's way.
    """

    def to_dict(self, *, spider: Spider | None = None) -> dict[str, Any]:
        names = {}
        for attr in ("callback", "errback"):
            func = getattr(self, attr)
            if callable(func):
                name = getattr(func, "__name__", "")
                own = getattr(getattr(spider, name, None), "__func__", None)
                if own is None or own is not getattr(func, "__func__", None):
                    return super().to_dict(spider=spider)
                names[attr] = name
        # Scrapy's own Request.to_dict (2.19), with the names found above
        d: dict[str, Any] = {"url": self.url, "callback": names.get("callback", self.callback),
                             "errback": names.get("errback", self.errback), "headers": dict(self.headers)}
        for attr in self.attributes:
            d.setdefault(attr, getattr(self, attr))
        d["_class"] = f"{type(self).__module__}.{type(self).__name__}"
        return d


class DiskQueueScheduler(Scheduler):
    """Reads ``STOREAUDIT_QUEUE_DIR`` (where the temporary directory goes; default: the
    system's temporary directory)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiskQueueScheduler:
        settings = crawler.settings
        folder = tempfile.mkdtemp(prefix="storeaudit-queue-", dir=settings.get("STOREAUDIT_QUEUE_DIR") or None)
        dupefilter: BaseDupeFilter = build_from_crawler(load_object(settings["DUPEFILTER_CLASS"]), crawler)
        scheduler = cls(dupefilter=dupefilter, jobdir=folder, dqclass=load_object(settings["SCHEDULER_DISK_QUEUE"]),
                        mqclass=load_object(settings["SCHEDULER_MEMORY_QUEUE"]),
                        logunser=settings.getbool("SCHEDULER_DEBUG"), stats=crawler.stats,
                        pqclass=load_object(settings["SCHEDULER_PRIORITY_QUEUE"]), crawler=crawler)
        scheduler.folder = folder
        return scheduler

    def close(self, reason: str) -> Any:
        try:
            return super().close(reason)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
