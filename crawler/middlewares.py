"""Downloader middlewares: Scrapy's retry, taught to honour Retry-After."""

from __future__ import annotations

import asyncio
import email.utils
import time

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.response import response_status_message

__all__ = ["RetryAfterMiddleware", "retry_after_seconds"]


def retry_after_seconds(value: bytes | str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware that waits as long as a 429/503 asks before retrying.

    Reads ``STOREAUDIT_MAX_RETRY_AFTER`` (seconds, default 60): a server asking for a longer
    wait gets no retry, and the response stands as the URL's result.
    """

    def __init__(self, settings):  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.max_retry_after = settings.getfloat("STOREAUDIT_MAX_RETRY_AFTER", 60.0)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is not None:
            if wait > self.max_retry_after:
                return response
            self.crawler.stats.inc_value("storeaudit/retry_after_waits")
            await asyncio.sleep(wait)
        return self._retry(request, response_status_message(response.status)) or response
