"""Scrapy's downloader, with its per-host concurrency limit actually holding under asyncio.

Scrapy 2.19's ``Downloader._process_queue`` hands queued requests to
``_schedule_coro(self._wait_for_download(...))`` while ``slot.free_transfer_slots() > 0``, and
the request is only counted as transferring once that coroutine runs. Under the asyncio
reactor ``_schedule_coro`` creates a task that runs *later*, so the loop empties the whole
queue at once: measured here, 14 requests at once to a store configured for 2
(``tests/test_politeness.py``). An overloaded store answers with errors that become false
alarms, so the request is reserved its transfer slot at once, before the task starts.
"""

from __future__ import annotations

from typing import Any

from scrapy.core.downloader import Downloader

__all__ = ["PoliteDownloader"]


class PoliteDownloader(Downloader):
    """Counts a request against its slot's concurrency as soon as it is taken off the queue."""

    def _wait_for_download(self, slot: Any, request: Any, queue_dfd: Any) -> Any:  # type: ignore[override]
        slot.transferring.add(request)  # the coroutine below adds it again (a set) and removes it when done
        return super()._wait_for_download(slot, request, queue_dfd)
