"""Python's cyclic garbage collector, set for a long crawl.

Why: with the default thresholds the crawler spent 0.77 of its 12.3 CPU seconds on 1,000
pages collecting (6 %), more than half of it in full collections, each going through every
object the imports of Scrapy, Twisted, lxml and the checks had made, again and again. Frozen
after start-up, and with young objects collected every 20,000 allocations instead of 700
(most are gone by then: references counted them away), it spent 0.14 s (1,000-page bench
store, `gc.callbacks` timing, two runs each).
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG_OBJECTS", "settle", "unsettle"]

#: New objects between two collections of the youngest generation (Python's default: 700).
YOUNG_OBJECTS = 20_000


_defaults: list[tuple[int, ...]] = []


def settle() -> None:
    """Leave every object that exists now (imports, settings, the set-up of the run) out of
    later collections, and collect young objects less often. Cycles made later are still
    collected."""
    _defaults.append(gc.get_threshold())
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


def unsettle() -> None:
    """Collect as before ``settle``. Frozen objects are never finalised, not even at exit: the
    audit's database connection, made before the crawl, would not close, and its last writes
    would stay in the write-ahead log beside the database file instead of in it."""
    gc.unfreeze()
    if _defaults:
        gc.set_threshold(*_defaults.pop())
