"""Reading and checking pages in worker processes, so an audit uses more than one core.

Why: once checks of images and links cost little (crawler/head_checks.py), most of an
audit's CPU is page work — the lxml parse, canonical URLs of ~150 references and every page
check (readability, stale dates, ...) — ~13 ms per product page, all in the crawler's one
Python process while the machine's other cores idle. A worker process does that work and
returns the page's facts, its references (canonical) and its findings; the tree stays there.

The results are the same as in-process (``read_page`` is the one function both use). Workers
are spawned (not forked: the crawler runs an event loop and threads) and ignore Ctrl-C, which
the crawler handles. With ``start_after`` pages the pool is started only once an audit has
that many pages read or on their way, so a small audit never pays for starting processes and
a big one starts them from its first pages; the audit goes on reading pages itself until a
worker has started (0.4–0.6 s of imports), rather than leaving its pages waiting for it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import Any

from checks.page_kinds import page_kind
from checks.registry import Finding
from checks.runner import PageCheckRunner
from config import Config
from crawler import collector
from crawler.extract import ParsedPage, parse_page
from crawler.frontier import Frontier

__all__ = ["PageWork", "canonical_refs", "read_page"]


def canonical_refs(page: ParsedPage, frontier: Frontier) -> None:
    """Each reference under its canonical URL; what the page wrote is kept when it differs (a
    check reports tracking parameters)."""
    for ref in page.refs:
        canonical = frontier.canonical(ref.url)
        if canonical != ref.url:
            ref.raw = ref.url
        ref.url = canonical


def read_page(frontier: Frontier, checks: PageCheckRunner | None, url: str, body: bytes, *, status: int,
              depth: int, encoding: str | None, last_modified: str) -> tuple[ParsedPage, list[Finding] | None]:
    """The parsed page with canonical references, and its findings when ``checks`` is given
    (then the tree and what checks derived from it are dropped: nothing else needs them)."""
    page = parse_page(url, body, status=status, depth=depth, encoding=encoding,
                      headers={"last-modified": last_modified})
    canonical_refs(page, frontier)
    if checks is None:
        return page, None
    findings = list(checks.run(page))
    page.kind = page_kind(page)
    page.root = None
    page.derived.clear()
    return page, findings


# -- in a worker process -------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _start_worker(config: Config, site_hosts: set[str], as_of: date) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawler stops the audit, not its workers
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _worker["frontier"] = _frontier(config)
    _worker["checks"] = PageCheckRunner(config, site_hosts=site_hosts, as_of=as_of)
    collector.settle()


def _started() -> bool:
    """A first task: its answer says a worker is up."""
    return True


def _exit_with_parent(parent: int) -> None:
    """A crawler killed outright (kill -9) cannot stop its pool: its workers stop themselves."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _read_in_worker(url: str, body: bytes, status: int, depth: int, encoding: str | None,
                    last_modified: str) -> tuple[ParsedPage, list[Finding] | None]:
    return read_page(_worker["frontier"], _worker["checks"], url, body, status=status, depth=depth,
                     encoding=encoding, last_modified=last_modified)


def _frontier(config: Config) -> Frontier:
    return Frontier(ignore_params=config["crawl.ignore_params"], max_query_variants=0, max_pages_per_pattern=0,
                    max_depth=0, max_pages=0)


# -- in the crawler ------------------------------------------------------------------------

class PageWork:
    """Reads pages in ``processes`` worker processes once ``start_after`` pages were read here."""

    def __init__(self, config: Config, *, site_hosts: set[str], as_of: date, processes: int, start_after: int):
        self.config = config
        self.site_hosts = set(site_hosts)
        self.as_of = as_of
        self.processes = processes
        self.start_after = start_after
        self.read_here = 0
        self.expected = 0  # pages requested and not read yet, as far as the crawl has said
        self.frontier = _frontier(config)
        self._pool: ProcessPoolExecutor | None = None
        self._started: Future[bool] | None = None  # done once a worker answers (start_after > 0)

    def expect_page(self) -> None:
        """One more page is requested: start the workers as soon as the audit is known to read
        ``start_after`` pages. A store's home page alone links more than that, so on a big
        store they start ~0.5 s sooner than after reading them."""
        self.expected += 1
        self._start_when_due()

    @property
    def elsewhere(self) -> bool:
        """Whether the next page is read by a worker (starting the pool when it is time)."""
        if self.processes < 1:
            return False
        self._start_when_due()
        return self._pool is not None and (self._started is None or self._started.done())

    def _start_when_due(self) -> None:
        if self._pool is None and self.processes >= 1 and self.read_here + self.expected >= self.start_after:
            self._pool = self._new_pool()
            if self.start_after:  # pages are read here until a worker is up
                self._started = self._pool.submit(_started)

    def _new_pool(self) -> ProcessPoolExecutor:
        # One pool for the whole audit: a worker's memory levels off (~85 MB after 3,000 product
        # pages, measured); renewing it every 5,000 pages ran two workers at once for a while
        # and raised the peak (337 MB instead of 273 MB at 10,000 pages).
        return ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(self.config, self.site_hosts, self.as_of))

    def read_here_now(self, url: str, body: bytes, *, status: int, depth: int, encoding: str | None,
                      last_modified: str) -> ParsedPage:
        """Parse in this process; the pipeline runs the page checks on the tree."""
        self.read_here += 1
        self.expected = max(0, self.expected - 1)
        page, _ = read_page(self.frontier, None, url, body, status=status, depth=depth, encoding=encoding,
                            last_modified=last_modified)
        return page

    async def read_elsewhere(self, url: str, body: bytes, *, status: int, depth: int, encoding: str | None,
                             last_modified: str) -> tuple[ParsedPage, list[Finding] | None]:
        """Parse and check in a worker; in this process if the pool broke (a worker was killed)."""
        if self._pool is None:  # it broke while this page waited
            return self.read_here_now(url, body, status=status, depth=depth, encoding=encoding,
                                      last_modified=last_modified), None
        try:
            future = self._pool.submit(_read_in_worker, url, body, status, depth, encoding, last_modified)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self.close()
            self.processes = 0
            return self.read_here_now(url, body, status=status, depth=depth, encoding=encoding,
                                      last_modified=last_modified), None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
