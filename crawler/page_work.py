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
own run, and it is up when the first page arrives; until a worker says it is up, pages are
read in the crawler rather than left waiting. An audit that ends before its worker is up (a
store of a few pages) does not wait for it: ``close`` stops a worker still starting. A worker
reads pages from a socket until the crawler's end closes, so it also ends when the crawler is
killed outright; a worker that ends early (killed) sends the crawler back to reading pages itself.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import signal
import socket
import struct
import traceback
from collections import deque
from datetime import date
from multiprocessing.connection import Connection
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


def _serve(conn: Connection, up: Any, config: Config, site_hosts: set[str], as_of: date, parts: bool) -> None:
    """A worker process: read each page the crawler sends and answer in turn, until the
    crawler's end of the socket closes (the audit is over, or the crawler was killed)."""
    _start_worker(config, site_hosts, as_of, parts)
    up.set()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, Any] = ("ok", _read_in_worker(*task))
        except Exception as e:  # the crawler logs it as the page's error, as for its own parse
            answer = ("error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
        try:
            conn.send(answer)
        except (BrokenPipeError, ConnectionResetError):
            return


def _start_worker(config: Config, site_hosts: set[str], as_of: date, parts: bool = False) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawler stops the audit, not its workers
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

class WorkerGone(RuntimeError):
    """A worker process ended while it had pages to read (killed, out of memory)."""


class WorkerError(RuntimeError):
    """Reading a page failed in a worker; the message carries the worker's traceback."""


class _Answers(asyncio.Protocol):
    """The crawler's end of one worker's socket, on the crawl's event loop. Pages go out as
    multiprocessing's ``Connection`` frames them (a 4-byte length, then the pickle), and
    their answers come back in the order sent.

    Why not ``ProcessPoolExecutor``: its two threads in the crawler (one pickling and writing
    the tasks, one reading the answers) took Python's lock from the event loop and back twice
    a page, and woke it through a pipe for each answer; the loop does both itself here."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiting: deque[asyncio.Future[Any]] = deque()  # sent, in order
        self.queued: deque[tuple[tuple[Any, ...], asyncio.Future[Any]]] = deque()  # not sent yet
        self.gone = False
        self._buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, task: tuple[Any, ...]) -> asyncio.Future[Any]:
        """The future answer to ``task``. At most ``SENT_AHEAD`` pages are on their way at
        once; the others wait here unpickled, sharing their body with Scrapy's response
        (written out at once, ~100 queued pages held a pickled copy each: +16 MB of peak)."""
        if self.gone or self.transport is None or self.transport.is_closing():
            raise WorkerGone("the page worker has ended")
        future = asyncio.get_running_loop().create_future()
        self.queued.append((task, future))
        self._send_queued()
        return future

    def _send_queued(self) -> None:
        while self.queued and len(self.waiting) < SENT_AHEAD:
            task, future = self.queued.popleft()
            if future.cancelled():
                continue
            data = pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
            self.transport.write(_frame(len(data)) + data)  # type: ignore[union-attr]
            self.waiting.append(future)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        at = 0
        while len(buffer) - at >= 4:
            size, head = _INT.unpack_from(buffer, at)[0], 4
            if size == -1:  # multiprocessing's frame for 2 GiB or more
                if len(buffer) - at < 12:
                    break
                size, head = _LONG.unpack_from(buffer, at + 4)[0], 12
            if len(buffer) - at - head < size:
                break
            kind, value = pickle.loads(buffer[at + head:at + head + size])
            at += head + size
            future = self.waiting.popleft()
            if future.cancelled():
                continue
            if kind == "ok":
                future.set_result(value)
            else:
                future.set_exception(WorkerError(value))
        del buffer[:at]
        if not self.gone:
            self._send_queued()

    def connection_lost(self, exc: Exception | None) -> None:
        self.gone = True
        futures = [*self.waiting, *(future for _, future in self.queued)]
        self.waiting.clear()
        self.queued.clear()
        for future in futures:
            if not future.done():
                future.set_exception(WorkerGone("the page worker ended while reading a page"))


#: Pages on their way to a worker or in its hands at once: enough that it has the next while
#: the event loop is busy elsewhere (~5 ms a page, ~300 ms in all: a commit of the crawl's
#: writer takes 80-190 ms), few enough to hold little memory (~3 MB). With 16, the worker
#: waited for pages 9-10 % of a 10,000-page crawl; with 64, 4.7 % (sampled thread states,
#: docs/performance.md, sixteenth session). Those that fit in the socket's buffer
#: (``SEND_BUFFER``) the worker reads without waiting for the event loop to write them out.
SENT_AHEAD = 64
#: Bytes asked for the crawler's socket buffer to a worker (Linux caps it at net.core.wmem_max).
SEND_BUFFER = 1 << 20
_INT = struct.Struct("!i")
_LONG = struct.Struct("!Q")


def _frame(size: int) -> bytes:
    """The header ``multiprocessing.connection.Connection.recv`` reads before ``size`` bytes."""
    return _INT.pack(size) if size <= 0x7fffffff else _INT.pack(-1) + _LONG.pack(size)


class _Worker:
    """One worker process, its socket and (once the crawl's event loop has it) its answers."""

    def __init__(self, context: Any, args: tuple[Any, ...]) -> None:
        self.sock, theirs = socket.socketpair()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        self.up = context.Event()
        self.process = context.Process(target=_serve, args=(Connection(theirs.detach()), self.up, *args),
                                       daemon=True, name="storeaudit-page-worker")
        self.process.start()
        self.answers: _Answers | None = None
        self._connecting: asyncio.Future[_Answers] | None = None
        self._up = False
        self.in_hand = 0  # pages given to it and not answered yet

    @property
    def is_up(self) -> bool:
        """Whether it has started (imports and warm-up done) and reads pages."""
        if not self._up:
            self._up = self.up.is_set()
        return self._up

    async def connected(self) -> _Answers:
        """Its answers on the running event loop (connected on the first page sent)."""
        if self.answers is not None:
            return self.answers
        if self._connecting is None:
            loop = asyncio.get_running_loop()
            self._connecting = loop.create_future()
            self.sock.setblocking(False)
            try:
                _, answers = await loop.create_unix_connection(_Answers, sock=self.sock)
            except BaseException as e:
                self._connecting.set_exception(e)
                self._connecting.exception()  # retrieved: no warning if no other page awaits it
                raise
            self.answers = answers
            self._connecting.set_result(answers)
            return answers
        return await asyncio.shield(self._connecting)


    def close(self) -> None:
        """Close its socket: a worker that is up reads the end and exits; one still starting
        is stopped outright (an audit that is over does not wait for its imports)."""
        if not self.is_up:
            self.process.terminate()
        if self.answers is not None and self.answers.transport is not None:
            try:
                self.answers.transport.abort()  # off the event loop's selector now
            except RuntimeError:  # the loop is closed: nothing is registered with it any more
                pass
        self.sock.close()


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
        self.workers: list[_Worker] = []

    def start(self) -> PageWork:
        """Start the worker processes (when there are to be any); returns at once."""
        if not self.workers and self.processes >= 1:
            # The same workers for the whole audit: a worker's memory levels off (~85 MB after
            # 3,000 product pages, measured); renewing them every 5,000 pages ran two at once for
            # a while and raised the peak (337 MB instead of 273 MB at 10,000 pages).
            context = multiprocessing.get_context("spawn")
            args = (self.config, self.site_hosts, self.as_of, self.parts)
            self.workers = [_Worker(context, args) for _ in range(self.processes)]
        return self

    @property
    def elsewhere(self) -> bool:
        """Whether the next page is read by a worker: one is up."""
        return any(w.is_up for w in self.workers)

    def read_here_now(self, url: str, body: bytes, *, status: int, depth: int, encoding: str | None,
                      last_modified: str) -> ParsedPage:
        """Parse in this process; the pipeline runs the page checks on the tree."""
        page, _ = read_page(self.frontier, None, url, body, status=status, depth=depth, encoding=encoding,
                            last_modified=last_modified)
        page.parts = []  # every reference stays with the page
        return page

    async def read_elsewhere(self, url: str, body: bytes, *, status: int, depth: int, encoding: str | None,
                             last_modified: str) -> tuple[ParsedPage, list[Finding] | None]:
        """Parse and check in the least busy worker; in this process once one has ended (it
        was killed): the others are stopped too, as a broken pool would be."""
        ready = [w for w in self.workers if w.is_up]
        try:
            if not ready:  # they were closed while this page waited
                raise WorkerGone("no page worker")
            worker = min(ready, key=lambda w: w.in_hand)
            worker.in_hand += 1
            try:
                answers = await worker.connected()
                return await answers.send((url, body, status, depth, encoding, last_modified))
            finally:
                worker.in_hand -= 1
        except (WorkerGone, OSError):
            self.close()
            self.processes = 0
            return self.read_here_now(url, body, status=status, depth=depth, encoding=encoding,
                                      last_modified=last_modified), None

    def close(self) -> None:
        """Stop the workers."""
        workers, self.workers = self.workers, []
        for worker in workers:
            worker.close()
