"""Scrapy's scheduler with the pending requests on disk, so memory stays flat on big stores.

Why: every page the crawl has found and not fetched yet waits in the scheduler. In memory
that is a few KB of Request per page, and on a catalogue of 100,000 pages tens of thousands
wait at once. Scrapy keeps them on disk when it has a job directory (``JOBDIR``), but a job
directory also means resuming Scrapy's own state, which storeaudit does from its database
(``--resume``). So each audit gets a private temporary directory for the queue alone,
removed when the crawl ends.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.dupefilters import BaseDupeFilter
from scrapy.utils.misc import build_from_crawler, load_object

__all__ = ["DiskQueueScheduler"]


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
