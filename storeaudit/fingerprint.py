"""Fingerprints: one finding followed from audit to audit.

A fingerprint is a hash of the check code, the page and what the defect is about (its group:
a target URL or quoted text), after removing differences that do not change the defect:
scheme, host case, ports, query-parameter order, a trailing slash, whitespace. The store's own
host is dropped too, so the audit of a staging copy and of the live store can be compared.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["fingerprint", "normalize_for_fingerprint"]

_WS = re.compile(r"\s+")


def normalize_for_fingerprint(value: str, site_hosts: frozenset[str] = frozenset()) -> str:
    value = _WS.sub(" ", value or "").strip()
    if not re.match(r"^https?://", value):
        return value.lower()
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if host in site_hosts or parts.netloc.lower() in site_hosts:
        host = ""
    path = parts.path.rstrip("/") or "/"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    out = f"{host}{path}"
    if query:
        out += "?" + query
    if parts.fragment:
        out += "#" + parts.fragment
    return out


def fingerprint(code: str, page: str, group: str, site_hosts: frozenset[str] = frozenset()) -> str:
    key = "\x1f".join([code, normalize_for_fingerprint(page, site_hosts),
                        normalize_for_fingerprint(group, site_hosts)])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
