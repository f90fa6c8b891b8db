"""The crawl frontier's trap guards: which URL is the same as another, and which is followed.

Real stores are crawler traps by accident: a calendar links to next month forever, faceted
navigation turns every combination of filters into a URL, session ids make every link new,
and a relative link can nest deeper on every page. :class:`Frontier` keeps such a crawl
finite and says where it was cut short:

* **canonical URLs**: tracking and session parameters named in ``crawl.ignore_params``
  (globs, e.g. ``utm_*``) are dropped from the query (w3lib's ``url_query_cleaner``) and from
  ``;jsessionid=``-style path parameters, then the URL is canonicalised (sorted query);
* **query variants per path**: at most ``crawl.max_query_variants`` distinct query strings of
  one path are requested (``/shoes?color=red&size=9``…);
* **pages per URL pattern**: at most ``crawl.max_pages_per_pattern`` pages whose paths differ
  only in numeric segments (``/calendar/{n}/{n}``) are parsed;
* **depth**: pages more than ``crawl.max_depth`` clicks from the start are checked, not parsed.

Every URL held back is counted under the limit and where it applied, for ``runs.limits_hit``:
``{"query_variants": {"/shoes": 40000}, "max_depth": {"/deep/": 1}}``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import url_query_cleaner

from crawler.urls import any_glob, host_key, is_plain, normalize

__all__ = ["Frontier", "url_pattern"]

#: A path segment that is a number, a date, or a long hex/uuid id: the varying part of a pattern.
_VARYING = re.compile(r"^(?:\d+(?:[-_.]\d+)*|[0-9a-f]{16,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",
                      re.IGNORECASE)


def url_pattern(path: str) -> str:
    """The path with its varying segments (numbers, dates, ids) replaced by ``{n}``."""
    return "/".join("{n}" if _VARYING.match(seg) else seg for seg in path.split("/")) or "/"


def section(path: str) -> str:
    """The first folder of a path (``/blog/``), or ``/``: where a site-wide limit bit."""
    first = path.lstrip("/").split("/", 1)
    return f"/{first[0]}/" if len(first) == 2 and first[0] else "/"


class Frontier:
    """Canonicalises URLs and decides whether one more is requested or parsed.

    The spider asks :meth:`canonical` for every URL it meets, :meth:`admit` before requesting a
    same-site URL, :meth:`may_follow` before following a page and :meth:`may_parse` before
    parsing one; the counts are plain data
    (:meth:`replay` rebuilds them from the database when an interrupted crawl is resumed).
    """

    def __init__(self, *, ignore_params: Iterable[str], max_query_variants: int, max_pages_per_pattern: int,
                 max_depth: int, max_pages: int):
        self.ignore = [p.lower() for p in ignore_params]
        self._ignores = any_glob(tuple(self.ignore))
        #: A page's menus, footer and related products repeat on every page: their canonical
        #: forms are remembered (bounded; ~0.3 ms per product page).
        self._remembered = lru_cache(maxsize=1024)(self._canonical)
        self.max_query_variants = max_query_variants
        self.max_pages_per_pattern = max_pages_per_pattern
        self.max_depth = max_depth
        self.max_pages = max_pages
        self.pages = 0
        self.query_variants: dict[str, int] = defaultdict(int)
        self.pattern_pages: dict[str, int] = defaultdict(int)
        #: limit -> where -> URLs held back
        self.limits_hit: dict[str, dict[str, int]] = {}

    # -- canonical form -----------------------------------------------------------------

    def canonical(self, url: str) -> str:
        """The URL without ignored (tracking/session) parameters, canonicalised, fragment
        dropped; a plain URL (no query, nothing to re-encode: ``is_plain``) is its own."""
        return url if is_plain(url) else self._remembered(url)

    def _ignored(self, name: str) -> bool:
        return self._ignores(name.lower()) is not None

    def _canonical(self, url: str) -> str:
        """The URL without ignored (tracking/session) parameters, canonicalised, fragment dropped."""
        if not self.ignore:
            return normalize(url)
        parts = urlsplit(url)
        path = parts.path
        if ";" in path:
            path = "/".join(self._strip_path_params(seg) for seg in path.split("/"))
        if parts.query:
            names = {pair.split("=", 1)[0] for pair in parts.query.split("&")}
            drop = [n for n in names if self._ignored(n)]
            if drop:
                url = url_query_cleaner(url, drop, remove=True, unique=False)
                parts = urlsplit(url)
        return normalize(urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")))

    def _strip_path_params(self, segment: str) -> str:
        base, *params = segment.split(";")
        kept = [p for p in params if not self._ignored(p.split("=", 1)[0])]
        return ";".join([base, *kept])

    # -- limits ---------------------------------------------------------------------------

    def admit(self, url: str) -> str:
        """'' when a same-site URL may be requested, else the limit that holds it back."""
        if "?" not in url:  # no query (every image): nothing to count, and no urlsplit, which was
            return ""  # ~2 % of the crawler's samples (py-spy, 10,000 pages)
        parts = urlsplit(url)
        if parts.query:
            key = f"{host_key(url)}{parts.path}"
            if self.query_variants[key] >= self.max_query_variants:
                return self.hit("query_variants", parts.path or "/")
            self.query_variants[key] += 1
        return ""

    def may_follow(self, url: str, depth: int) -> str:
        """'' when a same-site page may be followed (parsed), else the limit that stops it."""
        path = urlsplit(url).path or "/"
        if depth > self.max_depth:
            return self.hit("max_depth", section(path))
        if self.pages >= self.max_pages:
            return self.hit("max_pages", section(path))
        pattern = url_pattern(path)
        if pattern != path:
            if self.pattern_pages[pattern] >= self.max_pages_per_pattern:
                return self.hit("url_pattern", pattern)
            self.pattern_pages[pattern] += 1
        return ""

    def may_parse(self, url: str) -> str:
        """'' when one more page may be parsed now (and counts it), else 'max_pages'."""
        if self.pages >= self.max_pages:
            return self.hit("max_pages", section(urlsplit(url).path or "/"))
        self.pages += 1
        return ""

    def hit(self, limit: str, where: str) -> str:
        spot = self.limits_hit.setdefault(limit, {})
        spot[where] = spot.get(where, 0) + 1
        return limit

    # -- resume ---------------------------------------------------------------------------

    def replay(self, *, parsed: Iterable[str], requested: Iterable[str],
               limits_hit: dict[str, dict[str, int]]) -> None:
        """Rebuild the counts of an interrupted crawl from what its database holds."""
        for url in parsed:
            self.pages += 1
            path = urlsplit(url).path or "/"
            pattern = url_pattern(path)
            if pattern != path:
                self.pattern_pages[pattern] += 1
        for url in requested:
            parts = urlsplit(url)
            if parts.query:
                self.query_variants[f"{host_key(url)}{parts.path}"] += 1
        for limit, spots in limits_hit.items():
            for where, n in spots.items():
                self.limits_hit.setdefault(limit, {})[where] = n
