"""URL handling shared by the spider and the checks: what to fetch, and under which key."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from w3lib.url import canonicalize_url, safe_url_string

__all__ = ["any_glob", "host_key", "is_plain", "normalize", "resolve", "status_class"]

_DEFAULT_PORTS = {"http": 80, "https": 443}

# A URL that w3lib's canonical form leaves exactly as it is: http(s), a lower-case host
# (letters, digits, dots, hyphens) and port, a path of unreserved characters without "." or
# ".." segments or empty ones, no query, no fragment. Most of a store's image and product URLs
# look so, and each product page has ~37 of its own that no cache has seen: telling them
# apart costs ~1 µs, canonicalising ~20 µs (tests/test_urls.py holds the two to one answer).
_SEGMENT = r"(?!\.\.?(?:/|\Z))[A-Za-z0-9._~-]+"
_PATH = rf"/(?:{_SEGMENT}/)*(?:{_SEGMENT})?"
_PLAIN_PATH = re.compile(rf"{_PATH}\Z")
_PLAIN_URL = re.compile(rf"(https?://[a-z0-9.-]+(?::[0-9]{{1,5}})?)({_PATH})?\Z")


@lru_cache(maxsize=64)
def any_glob(globs: tuple[str, ...]) -> Callable[[str], object]:
    """A test of "matches one of these globs" as ``fnmatchcase`` does it, compiled once into a
    single regular expression: every parameter name of every link is tested against the
    ignore list (~20 globs), ~0.7 ms per product page one glob at a time."""
    if not globs:
        return lambda name: None
    return re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs)).match


def resolve(base: str, href: str) -> tuple[str, str] | None:
    """Absolute, canonical URL (no fragment) and the fragment of ``href``; None if not http(s).

    mailto:, tel:, javascript:, data: and other schemes are not web pages and are skipped.
    The canonical form (sorted query, normalised escapes) is the key a URL is fetched and
    stored under, so two spellings of one URL are checked once.
    """
    href = href.strip()
    if not href:
        return None
    # Site-root and absolute web addresses resolve the same from every page of a host: cached
    # (bounded), since every page repeats the store's menus, footer and product links.
    if href[0] == "/" and href[:2] != "//":
        origin = _origin(base)
        if _PLAIN_PATH.match(href) and _plain_origin(origin[:-1]):
            return origin[:-1] + href, ""
        return _resolve_cached(origin, href)
    if href[:7].lower() == "http://" or href[:8].lower() == "https://":
        if is_plain(href):
            return href, ""
        return _resolve_cached("", href)
    return _resolve(base, href)


def is_plain(url: str) -> bool:
    """Whether ``url`` is already its own canonical form, as most of a store's URLs are
    (see ``_PLAIN_URL``): then neither resolving nor canonicalising changes it."""
    m = _PLAIN_URL.match(url)
    return m is not None and _plain_origin(m[1]) and m[2] is not None


@lru_cache(maxsize=256)
def _plain_origin(origin: str) -> bool:
    """Whether w3lib keeps ``scheme://host:port`` as it is (a host it re-encodes, a port out
    of range: not plain). Host and path are canonicalised apart, so a plain path after such an
    origin stays as it is too."""
    if not _PLAIN_URL.match(origin):
        return False
    try:
        return _canonical(origin + "/") == origin + "/" and bool(urlsplit(origin).hostname)
    except ValueError:
        return False


@lru_cache(maxsize=256)
def _origin(base: str) -> str:
    """scheme://host:port/ of a page URL (each page asks once per link: cached)."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return base
    return f"{parts.scheme}://{parts.netloc}/"


@lru_cache(maxsize=16_384)
def _resolve_cached(base: str, href: str) -> tuple[str, str] | None:
    return _resolve(base, href)


def _resolve(base: str, href: str) -> tuple[str, str] | None:
    try:
        absolute = urljoin(base, href)
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        return normalize(absolute), parts.fragment
    except ValueError:  # no URL parser takes it (a port that is not a number, a broken IPv6 host)
        return None


def normalize(url: str) -> str:
    """Canonical key of a URL, fragment dropped.

    A plain URL (``is_plain``) is its own key. Others are cached (bounded): every page repeats
    the store's navigation, footer and related products, and w3lib's canonicalisation was the
    crawl's largest single cost per link.
    """
    return url if is_plain(url) else _canonical(url)


@lru_cache(maxsize=32_768)
def _canonical(url: str) -> str:
    return canonicalize_url(safe_url_string(url), keep_fragments=False)


def clear_caches() -> None:
    """Empty the URL caches (an audit does, once its crawl is over and its report comes next)."""
    for cached in (_origin, _resolve_cached, _canonical, _plain_origin, _origin_host_key):
        cached.cache_clear()


def host_key(url: str) -> str:
    """host:port with default ports dropped, lower-case: what 'the same site' compares.

    Several page checks ask it of every link, and a store's links share a few origins: it is
    worked out once per ``scheme://netloc`` (the part of the URL ``urlsplit`` reads it from).
    """
    start = url.find("://") + 3
    if start < 3:
        return _host_key(url)
    end = len(url)
    for stop in "/?#":
        at = url.find(stop, start)
        if 0 <= at < end:
            end = at
    return _origin_host_key(url[:end])


@lru_cache(maxsize=1024)
def _origin_host_key(origin: str) -> str:
    return _host_key(origin)


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme):
        return host
    return f"{host}:{port}"


def status_class(status: int | None, error: str | None) -> str:
    """'4xx', '5xx', 'timeout', 'dns', 'tls', 'connection', 'error' or '' for a success."""
    if error:
        kind = error.split(":", 1)[0]
        return kind if kind in ("timeout", "dns", "tls", "connection") else "error"
    if status is None:
        return ""
    if 200 <= status < 300:
        return "2xx"
    if 300 <= status < 400:
        return "3xx"
    if 400 <= status < 500:
        return "4xx"
    return "5xx"
