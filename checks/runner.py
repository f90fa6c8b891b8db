"""Running checks: page checks on each parsed page, site checks over a finished crawl."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from checks.context import PageContext, RunContext
from checks.registry import REGISTRY, Check, Finding, checks_of_kind
from config import Config
from crawler.extract import ParsedPage

if TYPE_CHECKING:  # page workers import this module and must not load the database's
    import sqlite_utils

logger = logging.getLogger(__name__)

__all__ = ["PageCheckRunner", "enabled_checks", "finding_row", "run_site_checks"]


def enabled_checks(config: Config, kind: str) -> list[tuple[Check, Any]]:
    """The checks of ``kind`` switched on in ``config``, each with its options object."""
    out = []
    for check in checks_of_kind(kind):  # type: ignore[arg-type]
        settings = config.check_settings(check.code)
        if settings.get("enabled", True):
            out.append((check, check.make_options(settings)))
    return out


def finding_row(run_id: int, f: Finding) -> dict[str, Any]:
    """A raw findings row; team, severity and fingerprint are assigned when the run finishes."""
    check = REGISTRY[f.code]
    return {
        "run_id": run_id, "code": f.code, "category": check.category, "team": "", "severity": "",
        "page": f.page, "target": f.target, "message": f.message,
        "evidence": json.dumps(f.evidence, ensure_ascii=False, sort_keys=True, default=str),
        "grp": f.group or f.target or f.message, "region": f.region, "status_class": f.status_class,
        "own_host": int(f.own_host), "template": int(f.template), "fingerprint": "",
    }


class PageCheckRunner:
    """Runs every enabled page check on a page; one failing check never stops the others."""

    def __init__(self, config: Config, *, site_hosts: set[str], as_of: date):
        self.checks = enabled_checks(config, "page")
        self.context = PageContext(as_of=as_of, site_hosts=frozenset(site_hosts), config=config)

    def run(self, page: ParsedPage) -> Iterator[Finding]:
        for check, options in self.checks:
            try:
                yield from check.func(page, options, self.context)
            except Exception:  # a check bug must cost one result, not the audit
                logger.exception("check %s failed on %s", check.code, page.url)

    @staticmethod
    def row(run_id: int, f: Finding) -> dict[str, Any]:
        return finding_row(run_id, f)


#: Threads that run site checks, each on its own connection: SQLite lets go of the GIL while
#: it steps a statement, and at the end of an audit the page worker's core is free.
SITE_CHECK_THREADS = 2


def run_site_checks(ctx: RunContext, *, threads: int = SITE_CHECK_THREADS) -> Iterator[Finding]:
    """Site checks and flow checks: both read the finished run from the database.

    Findings come in the checks' order however many ``threads`` run them (0.46 -> 0.26 s at
    1,000 pages with two). A database without a file (``:memory:``) is checked in the
    caller's thread.
    """
    todo = enabled_checks(ctx.config, "site") + enabled_checks(ctx.config, "flow")
    path = _file_of(ctx.db) if threads > 1 and len(todo) > 1 else ""
    if not path:
        for check, options in todo:
            yield from _findings(check, options, ctx)
        return
    yield from _Threaded(ctx, todo, path, threads).run()


def _findings(check: Check, options: Any, ctx: RunContext) -> Iterator[Finding]:
    try:
        yield from check.func(ctx, options)
    except Exception:  # a check bug must cost its findings, not the audit's
        logger.exception("check %s failed", check.code)


def _file_of(db: sqlite_utils.Database) -> str:
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


class _Threaded:
    """Threads claim the checks in order, each hands its check's findings over through that
    check's bounded queue, and the caller takes them check by check. The check the caller
    waits for was claimed before any other under way, so it is never stuck behind them."""

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
