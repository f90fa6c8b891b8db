"""The URLs a crawl has already scheduled, kept off the Python heap so memory stays flat.

A ``set[str]`` of every URL a store references grows by ~100 bytes of Python objects per
URL: 40 per product page at 100,000 pages is millions of strings, hundreds of MB. Here each
URL is an 8-byte hash (Python's SipHash) in a private temporary SQLite table: its page cache is bounded
and the rest lives in a temp file SQLite deletes on close. Two different URLs share a 64-bit
hash with odds of about 1 in 2**64 / n² (4 × 10⁻⁷ for 4 million URLs); the loss would be one
URL not checked, never a false finding.

The hashes of the URLs asked about lately are also kept in a small Python set: a store's
pages repeat the same header, footer and navigation links (~100 of a product page's ~140),
and the set answers for those without asking SQLite (3 % of the crawler's CPU).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

__all__ = ["RECENT", "SeenUrls"]

#: Hashes of recently seen URLs kept in Python (~250 KB); the set starts over when full.
RECENT = 4096
#: The hashes of a JSON array that were not in the table yet, inserted and returned.
_INSERT_NEW = "insert or ignore into seen select value from json_each(?) returning h"


def _key(url: str) -> int:
    # Python's own 64-bit string hash (SipHash): keyed per process, which is all a crawl needs,
    # and computed once per string object; a cryptographic digest cost 4x more per URL.
    return hash(url)


class SeenUrls:
    """A set of URLs (``in``, ``add``, ``|=``, ``len``) plus :meth:`add_new`, one lookup for both."""

    def __init__(self, urls: Iterable[str] = ()):
        # "" = a private on-disk temporary database, removed when the connection closes.
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.execute("pragma journal_mode = off")
        self._db.execute("pragma synchronous = off")
        self._db.execute("pragma cache_size = -16000")  # KiB: bounded, whatever the crawl's size
        self._db.execute("create table seen (h integer primary key)")
        self._db.execute("begin")  # one transaction for the crawl: nothing to make durable
        self._len = 0
        self._recent: set[int] = set()  # hashes known to be in the table
        self.update(urls)

    def _remember(self, keys: Iterable[int]) -> None:
        if len(self._recent) > RECENT:
            self._recent.clear()
        self._recent.update(keys)

    def add_new(self, url: str) -> bool:
        """Add ``url``; True when it was not there yet."""
        key = _key(url)
        if key in self._recent:
            return False
        added = self._db.execute("insert or ignore into seen values (?)", (key,)).rowcount == 1
        self._len += added
        self._remember((key,))
        return added

    def add_fresh(self, urls: Iterable[str]) -> set[str]:
        """Add ``urls``; returns those that were not there yet, in one statement: SQLite's
        ``insert or ignore ... returning`` gives back only the rows it inserted. (A look-up of
        the hashes, then an insert of the new ones, cost ~20 % more CPU.)"""
        keys: dict[int, str] = {}
        recent = self._recent
        for url in urls:
            key = _key(url)
            if key not in recent:
                keys.setdefault(key, url)
        if not keys:
            return set()
        new = self._db.execute(_INSERT_NEW, (json.dumps(list(keys)),)).fetchall()
        self._len += len(new)
        self._remember(keys)
        return {keys[h] for (h,) in new}

    def add(self, url: str) -> None:
        self.add_new(url)

    def update(self, urls: Iterable[str]) -> None:
        before = self._db.total_changes
        self._db.executemany("insert or ignore into seen values (?)", ((_key(u),) for u in urls))
        self._len += self._db.total_changes - before

    def __ior__(self, urls: Iterable[str]) -> SeenUrls:
        self.update(urls)
        return self

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and (_key(url) in self._recent or self._db.execute(
            "select 1 from seen where h = ?", (_key(url),)).fetchone() is not None)

    def __len__(self) -> int:
        return self._len

    def close(self) -> None:
        self._db.close()
