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

__all__ = ["YOUNG_OBJECTS", "settle"]

#: New objects between two collections of the youngest generation (Python's default: 700).
YOUNG_OBJECTS = 20_000


def settle() -> None:
    """Leave every object that exists now (imports, settings, the set-up of the run) out of
    later collections, and collect young objects less often. Cycles made later are still
    collected."""
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
