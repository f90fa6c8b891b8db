"""Site checks on threads, each on its own SQLite connection, their findings in the checks' order.

Why: SQLite lets go of the GIL while it steps a statement, and when the crawl is over the page
worker's core is free: two threads took the site checks of a 1,000-page audit from 0.46 to
0.26 s. The threads claim checks in order and hand each check's findings over through that
check's own bounded queue, which the caller empties check by check; so the findings and their
order are those of one thread, and memory stays bounded however many findings a check has.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from checks.context import RunContext
from checks.registry import Check, Finding

if TYPE_CHECKING:  # page workers import checks.runner, and so this module: no database code for them
    import sqlite_utils

__all__ = ["HAND_OVER", "WAITING_BATCHES", "ThreadedChecks", "file_of"]

logger = logging.getLogger("checks.runner")  # where a failing check was always logged


def file_of(db: sqlite_utils.Database) -> str:
    """The file of ``db``'s main database, '' when it has none."""
    for _, name, file in db.execute("pragma database_list").fetchall():
        if name == "main":
            return file or ""
    return ""


#: Findings a thread hands over at a time, and how many such batches of one check may wait
#: for the caller before the thread waits too: memory stays bounded however many findings a
#: check has (~110,000 broken-link findings at 100,000 pages).
HAND_OVER = 500
WAITING_BATCHES = 8
_DONE = object()


class _Stopped(Exception):
    """The caller gave up (an interrupted audit): the thread's check ends here."""


class ThreadedChecks:
    """``run()`` yields the findings of ``todo`` in order, its checks run by ``threads``
    threads. They claim the checks in order, each hands its check's findings over through
    that check's bounded queue, and the caller takes them check by check. The check the
    caller waits for was claimed before any other under way, so it is never stuck behind them."""

    def __init__(self, ctx: RunContext, todo: list[tuple[Check, Any]], path: str, threads: int):
        self.ctx, self.todo, self.path = ctx, todo, path
        self.queues: list[queue.Queue[Any]] = [queue.Queue(maxsize=WAITING_BATCHES) for _ in todo]
        self.lock = threading.Lock()
        self.claimed = 0  # checks before this index are claimed
        self.stop = threading.Event()
        self.connections: list[sqlite_utils.Database] = []
        self.threads = [threading.Thread(target=self._work, name=f"site-checks-{n}", daemon=True)
                        for n in range(threads)]

    def run(self) -> Iterator[Finding]:
        for thread in self.threads:
            thread.start()
        try:
            for handed in self.queues:
                while (batch := handed.get()) is not _DONE:
                    yield from batch
        finally:
            self.stop.set()
            with self.lock:
                for db in self.connections:
                    db.conn.interrupt()  # a query under way stops now, not when it is done
            for thread in self.threads:
                thread.join()

    def _claim(self) -> int | None:
        with self.lock:
            if self.claimed >= len(self.todo) or self.stop.is_set():
                return None
            self.claimed += 1
            return self.claimed - 1

    def _work(self) -> None:
        import sqlite_utils

        db = sqlite_utils.Database(self.path)
        with self.lock:
            self.connections.append(db)
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            ctx = replace(self.ctx, db=db)
            while (i := self._claim()) is not None:
                check, options = self.todo[i]
                batch: list[Finding] = []
                try:
                    for finding in check.func(ctx, options):
                        batch.append(finding)
                        if len(batch) >= HAND_OVER:
                            self._hand(i, batch)
                            batch = []
                except _Stopped:
                    return
                except Exception:
                    if self.stop.is_set():
                        return
                    logger.exception("check %s failed", check.code)
                self._hand(i, batch)
                self._hand(i, _DONE)
        except _Stopped:
            return
        finally:
            with self.lock:
                self.connections.remove(db)
                db.close()

    def _hand(self, i: int, item: Any) -> None:
        """Put ``item`` on check ``i``'s queue, waiting while it is full; _Stopped once the caller gave up."""
        while not self.stop.is_set():
            try:
                self.queues[i].put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped
