"""Notification after a scheduled audit: POST the Markdown summary to a webhook.

The body is JSON ``{"text": "<markdown>"}``, which Slack, Mattermost and Teams incoming
webhooks accept. A failed notification is reported, never fatal: the audit itself succeeded.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

__all__ = ["NotifyError", "post_summary"]


class NotifyError(Exception):
    """The webhook could not be reached or refused the message (one line, no secrets)."""


def post_summary(url: str, markdown: str, *, timeout: float = 10.0) -> int:
    """POST ``markdown`` to ``url``; returns the HTTP status. Raises :class:`NotifyError`."""
    parts = urlsplit(url)
    where = f"{parts.scheme}://{parts.hostname}"  # never repeat a path: it often holds a token
    if parts.scheme not in ("http", "https"):
        raise NotifyError(f"webhook URL must be http:// or https://, got {parts.scheme or 'none'}")
    body = json.dumps({"text": markdown}).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "storeaudit"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise NotifyError(f"webhook at {where} answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NotifyError(f"webhook at {where} unreachable: {reason}") from None
