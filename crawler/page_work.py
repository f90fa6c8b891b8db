"""Reading and checking pages in worker processes, so an audit uses more than one core.

Why: once checks of images and links cost little (crawler/head_checks.py), most of an
audit's CPU is page work — the lxml parse, canonical URLs of ~150 references and every page
check (readability, stale dates, ...) — ~13 ms per product page, all in the crawler's one
Python process while the machine's other cores idle. A worker process does that work and
returns the page's facts, its references (canonical) and its findings; the tree stays there.

The results are the same as in-process (``read_page`` is the one function both use). Workers
are spawned (not forked: the crawler runs an event loop and threads) and ignore Ctrl-C, which
the crawler handles. The audit starts them first thing (``start``), before it imports Scrapy
or opens its database, so a worker's imports (~1 s) run on another core while the crawler's
own run, and it is up when the first page arrives; until a worker answers, pages are read in
the crawler rather than left waiting. An audit that ends before its worker is up (a store of
a few pages) does not wait for it: ``close`` stops a worker still starting.
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
#: Template parts a worker names to the crawler by id at most: past them a part's references
#: go with each page again, so the crawler's table of parts (crawler/pipelines.py) stays small.
PARTS_SENT = 10_000


def _start_worker(config: Config, site_hosts: set[str], as_of: date, parts: bool = False) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawler stops the audit, not its workers
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _worker["frontier"] = _frontier(config)
    _worker["checks"] = PageCheckRunner(config, site_hosts=site_hosts, as_of=as_of)
    _worker["sent"] = set() if parts else None
    _warm_up()
    collector.settle()


def _warm_up() -> None:
    """Import what page checks load on their first page (textstat, dateparser): the worker
    starts before the crawl does, so this costs it no time, and its first page reads like the rest."""
    import dateparser  # noqa: F401  (checks/dates.py imports it on its first date)

    from checks import readability

    readability.warm_up()


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
    page, findings = read_page(_worker["frontier"], _worker["checks"], url, body, status=status, depth=depth,
                               encoding=encoding, last_modified=last_modified)
    sent = _worker.get("sent")
    if sent is None:
        page.parts = []  # every reference goes with the page
    else:
        page.send_parts(sent, limit=PARTS_SENT)
    return page, findings


def _frontier(config: Config) -> Frontier:
    return Frontier(ignore_params=config["crawl.ignore_params"], max_query_variants=0, max_pages_per_pattern=0,
                    max_depth=0, max_pages=0)


# -- in the crawler ------------------------------------------------------------------------

class PageWork:
    """Reads pages in ``processes`` worker processes once ``start`` has them up; in this process
    until then, and with none.

    With ``parts``, a worker sends the references of a template part (header, menu, footer)
    the first time only, and its id after that (``ParsedPage.parts``): the store pipeline
    keeps a part's links once (crawler/pipelines.py). Without, every page carries them all."""

    def __init__(self, config: Config, *, site_hosts: set[str], as_of: date, processes: int,
                 parts: bool = False):
        self.config = config
        self.site_hosts = set(site_hosts)
        self.as_of = as_of
        self.processes = processes
        self.parts = parts
        self.frontier = _frontier(config)
        self._pool: ProcessPoolExecutor | None = None
        self._started: Future[bool] | None = None  # done once a worker answers

    def start(self) -> PageWork:
        """Start the worker processes (when there are to be any); returns at once."""
        if self._pool is None and self.processes >= 1:
            # One pool for the whole audit: a worker's memory levels off (~85 MB after 3,000
            # product pages, measured); renewing it every 5,000 pages ran two workers at once
            # for a while and raised the peak (337 MB instead of 273 MB at 10,000 pages).
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker,
                                             initargs=(self.config, self.site_hosts, self.as_of, self.parts))
            self._started = self._pool.submit(_started)
        return self

    @property
    def elsewhere(self) -> bool:
        """Whether the next page is read by a worker: one is up."""
        return self._pool is not None and self._started is not None and self._started.done()

    def read_here_now(self, url: str, body: bytes, *, status: int, depth: int, encoding: str | None,
                      last_modified: str) -> ParsedPage:
        """Parse in this process; the pipeline runs the page checks on the tree."""
        page, _ = read_page(self.frontier, None, url, body, status=status, depth=depth, encoding=encoding,
                            last_modified=last_modified)
        page.parts = []  # every reference stays with the page
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
        """Stop the workers. One still starting is stopped outright: an audit that is over
        does not wait for its imports to end."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if self._started is not None and not self._started.done():
            # ProcessPoolExecutor has no public way to do this before Python 3.14 (terminate_workers)
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
