"""HEAD checks of the URLs an audit does not follow, on a lean HTTP client beside Scrapy.

Why: a catalogue page references ~37 URLs that are only checked (images and each srcset
variant, files, external links), and each of those costs ~1 ms of CPU in Scrapy's engine,
scheduler, middlewares and callbacks — most of an audit's CPU (docs/performance.md). The same
HEAD sent on the same asyncio loop by crawler/head_client.py costs ~0.03 ms (aiohttp: ~0.09).

Every answer goes to the spider's callback for checks as a Scrapy response, so it records the
status, follows a redirect or sends GET instead of a refused HEAD exactly as for Scrapy's own
responses. What only Scrapy does is left to it: after an overload worth retrying (408/429/5xx,
once its Retry-After is waited out) the URL goes back as a Scrapy request that counts as the
retry, and so it does after a timeout or a connection error (Scrapy retries those too). URLs
whose host's robots.txt Scrapy has not read yet are not taken. A host that refuses HEAD, overloads
or fails three times is left to Scrapy from then on.

Politeness: the runner turns this on only for an unthrottled crawl (no delay, no AutoThrottle)
and splits the per-host concurrency between Scrapy and this client, so together they never
have more requests in flight to a host than the config allows (crawler/runner.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import ACCEPTED_ENCODINGS
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro

from config import Config
from crawler.head_client import HeadClient, NotSendable
from crawler.middlewares import retry_after_seconds
from crawler.urls import host_key

__all__ = ["HEAD_REFUSED", "Answer", "HeadChecks", "head_checks_for"]

logger = logging.getLogger(__name__)

#: Statuses with which a server refuses HEAD but may serve GET (the spider then sends GET).
HEAD_REFUSED = frozenset({403, 405, 501})
#: Refusals, overloads and errors a host may give before it is left to Scrapy for good.
TROUBLE_LIMIT = 3
#: URLs queued here (taken, not yet sent) above which the crawl's next page waits: a page
#: queues ~36, and pages can be read faster than their URLs are checked. Unbounded, the queue
#: grew to 127,000 URLs at 10,000 pages, and the crawler from 169 to 255 MB in half an hour
#: of a 100,000-page audit (171 MB with the bound); ~55 pages' worth keeps every connection busy.
MAX_BACKLOG = 2_000
#: URLs of one other host (not the store's) queued here above which its next URLs are left to
#: Scrapy, whose queue is on disk: a slow third party linked from every page must not fill
#: the backlog and make the store's crawl wait for it.
MAX_HOST_BACKLOG = 500


#: What the Scrapy request that takes over a check is: the retry of this one, or a first try.
RETRY, ANEW = "retry", "anew"
#: What the spider reads of a check's answer (crawler/spiders/audit.py, ``_fetch`` and ``_redirect``).
KEPT_HEADERS = ("Content-Type", "Content-Length", "Last-Modified", "Location", "Retry-After")
_KEPT = tuple((name, name.lower()) for name in KEPT_HEADERS)


@dataclass(slots=True)
class Answer:
    """A HEAD answer the spider takes as if Scrapy had fetched it."""

    status: int
    headers: dict[str, str]
    latency: float  # seconds


class HeadChecks:
    """A queue per host of URLs to HEAD, at most ``per_host`` connections at work per host and
    ``total`` overall, each with as many URLs at once as the host takes (crawler/head_client.py).

    ``allows(url)`` is robots.txt's verdict (None: not known yet); ``answered`` receives each
    answer; ``hand_back(url, depth, referer, retried)`` each URL Scrapy must request instead
    (``retried``: this check was its first try); ``drained`` is called when nothing is pending
    any more (the spider may be idle). The queues are bounded: the spider awaits ``room()``
    before each page, and a host other than ``site_hosts`` with ``MAX_HOST_BACKLOG`` URLs
    queued takes no more (``take`` is False: Scrapy checks them).
    """

    def __init__(self, *, per_host: int, total: int, timeout: float, headers: Mapping[str, str],
                 retry_codes: frozenset[int], max_retry_after: float,
                 allows: Callable[[str], bool | None],
                 extra_headers: Callable[[str], Mapping[str, str]],
                 answered: Callable[[str, int, Answer], Awaitable[None]],
                 hand_back: Callable[[str, int, str, bool], None], drained: Callable[[], None],
                 site_hosts: frozenset[str] = frozenset(), pipeline: bool = True):
        self.per_host = per_host
        self.total = total
        self.retry_codes = retry_codes
        self.max_retry_after = max_retry_after
        self.trouble = HEAD_REFUSED | retry_codes
        self.headers = dict(headers)
        self.allows = allows
        self.extra_headers = extra_headers
        self.answered = answered
        self.hand_back = hand_back
        self.drained = drained
        self.site_hosts = site_hosts  # host_key()s of the store: their URLs always queue here
        self.pending = 0  # taken and not yet answered or handed back
        self.closed = False
        self.stats = {"answered": 0, "handed_back": 0}
        self._queues: dict[str, deque[tuple[str, int, str]]] = {}
        self._active: defaultdict[str, int] = defaultdict(int)
        self._in_flight = 0  # lanes (connections) at work
        self._in_lanes = 0  # URLs the lanes hold, sent or about to be
        self._starved: set[str] = set()  # hosts with work, waiting for the total limit
        self._troubles: defaultdict[str, int] = defaultdict(int)
        self._tasks: set[asyncio.Task[None]] = set()
        self._room: asyncio.Event | None = None  # set while the backlog is under MAX_BACKLOG
        # NotSendable when a header of every request cannot be sent (head_checks_for: then none)
        self._client: HeadClient | None = HeadClient(timeout=timeout, headers=self.headers, max_idle=total,
                                                     pipeline=pipeline)
        self.signal_handlers: tuple[Any, ...] = ()

    def take(self, url: str, depth: int, referer: str = "") -> bool:
        """Queue ``url`` (referenced by page ``referer``) for a HEAD check; False when Scrapy must check it."""
        if self.closed:
            return False
        parts = urlsplit(url)
        host = parts.netloc.lower()
        if (parts.scheme not in ("http", "https") or self._troubles.get(host, 0) >= TROUBLE_LIMIT
                or self.allows(url) is not True):
            return False
        if len(self._queues.get(host, ())) >= MAX_HOST_BACKLOG and host_key(url) not in self.site_hosts:
            return False
        self._queues.setdefault(host, deque()).append((url, depth, referer))
        self.pending += 1
        self._pump(host)
        if self.backlog >= MAX_BACKLOG and self._room is not None:
            self._room.clear()
        return True

    @property
    def backlog(self) -> int:
        """URLs taken and not yet sent."""
        return self.pending - self._in_lanes

    async def room(self) -> None:
        """Return once the backlog is under ``MAX_BACKLOG`` (at once, mostly). The spider
        awaits this before it reads a page, so a big store's URLs wait on Scrapy's queue on
        disk, not here in memory."""
        if self._room is None:
            self._room = asyncio.Event()
            self._room.set()
        while self.backlog >= MAX_BACKLOG and not self.closed:
            self._room.clear()
            await self._room.wait()

    def _pump(self, host: str) -> None:
        """Start a lane for ``host`` while it has URLs queued and room (per host and in all)."""
        queue = self._queues.get(host)
        while queue and self._active[host] < self.per_host:
            if self._in_flight >= self.total:
                self._starved.add(host)
                return
            jobs = self._next_jobs(queue)
            self._active[host] += 1
            self._in_flight += 1
            task = asyncio.get_running_loop().create_task(self._lane(host, jobs))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if not queue:
            self._queues.pop(host, None)

    def _next_jobs(self, queue: deque[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
        """The queued URLs one connection sends together: as many as the host takes pipelined."""
        n = self._client.depth(queue[0][0]) if self._client is not None else 1
        jobs = [queue.popleft() for _ in range(min(n, len(queue)))]
        self._in_lanes += len(jobs)
        return jobs

    async def _lane(self, host: str, jobs: list[tuple[str, int, str]]) -> None:
        """Check ``jobs``, then the host's next queued URLs, until none is left: one task per
        connection in use rather than per URL (a task each cost ~5 µs, ~36 a page)."""
        try:
            while True:
                try:
                    await self._check(host, jobs)
                finally:
                    self.pending -= len(jobs)
                    self._in_lanes -= len(jobs)
                queue = self._queues.get(host)
                if self.closed or not queue:
                    break
                jobs = self._next_jobs(queue)
                if not queue:
                    del self._queues[host]
                self._made_room()
        finally:
            self._active[host] -= 1
            self._in_flight -= 1
            if not self.closed:
                self._pump(host)
                for waiting in list(self._starved):
                    self._starved.discard(waiting)
                    self._pump(waiting)
                self._made_room()

    def _made_room(self) -> None:
        """A URL left the backlog: a page waiting for room may go on; with nothing pending,
        the spider may be idle."""
        if self.closed:
            return
        if self._room is not None and self.backlog < MAX_BACKLOG:
            self._room.set()
        if not self.pending:
            self.drained()

    async def _check(self, host: str, jobs: list[tuple[str, int, str]]) -> None:
        """HEAD the URLs of ``jobs`` (on one connection) and pass each outcome on; an error
        passing one on is logged and the others still go (else the crawl would wait forever)."""
        try:
            outcomes = await self._head(host, jobs)
        except Exception:
            logger.exception("checking %s failed", ", ".join(url for url, _, _ in jobs))
            return
        for (url, depth, referer), outcome in zip(jobs, outcomes):
            try:
                if isinstance(outcome, Answer) and outcome.status in self.retry_codes:
                    outcome = await self._retry_after(outcome)
                if self.closed:
                    return
                if isinstance(outcome, Answer):
                    self.stats["answered"] += 1
                    await self.answered(url, depth, outcome)
                else:
                    self.stats["handed_back"] += 1
                    self.hand_back(url, depth, referer, outcome == RETRY)
            except Exception:
                logger.exception("checking %s failed", url)

    async def _retry_after(self, answer: Answer) -> Answer | str:
        """RETRY once the Retry-After of an overload is waited out; a longer wait than
        ``max_retry_after``: the answer stands (as in crawler/middlewares.py)."""
        wait = retry_after_seconds(answer.headers.get("Retry-After")) or 0.0
        if wait > self.max_retry_after:
            return answer
        await asyncio.sleep(wait)
        return RETRY

    async def _head(self, host: str, jobs: list[tuple[str, int, str]]) -> list[Answer | str]:
        """The answer to HEAD each job's URL, or what Scrapy's request must be: RETRY (a timeout
        or a failed connection: Scrapy retries those too) or ANEW (this client would not send it)."""
        if self._client is None:  # closed
            return [ANEW] * len(jobs)
        requests = []
        for url, _, referer in jobs:
            headers = self.extra_headers(url)
            if referer and not (referer.startswith("https:") and url.startswith("http:")):
                headers = {**headers, "Referer": referer}  # as Scrapy's default referrer policy
            requests.append((url, headers))
        got = await self._client.head_many(requests)
        outcomes: list[Answer | str] = []
        for answer in got:
            if isinstance(answer, NotSendable):  # Scrapy requests it (and reports what is wrong with it)
                outcomes.append(ANEW)
            elif isinstance(answer, (OSError, TimeoutError)):
                self._troubles[host] += 1  # Scrapy classifies the error (timeout, dns, ...)
                outcomes.append(RETRY)
            elif isinstance(answer, BaseException):
                raise answer
            else:
                status, headers, latency = answer
                if status in self.trouble:
                    self._troubles[host] += 1
                outcomes.append(Answer(status=status, headers={k: headers[low] for k, low in _KEPT if low in headers},
                                       latency=latency))
        return outcomes

    async def close(self) -> None:
        """Stop: queued and in-flight checks are dropped (a resumed audit finds them pending)."""
        self.closed = True
        self._queues.clear()
        if self._room is not None:
            self._room.set()  # a page waiting for room goes on (and finds the crawl closing)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
            self._client = None


def head_checks_for(crawler: Crawler, config: Config, *, site_hosts: set[str],
                    answered: Callable[[str, int, Answer], Awaitable[None]],
                    hand_back: Callable[[str, int, str, bool], None]) -> HeadChecks | None:
    """The crawl's HeadChecks, tied to its engine and signals; None when the runner did not
    ask for them (``STOREAUDIT_HEAD_CHECKS``) or proxies are set (Scrapy's middleware knows them)."""
    settings = crawler.settings
    per_host = settings.getint("STOREAUDIT_HEAD_CHECKS")
    if per_host < 1 or getproxies():
        return None
    from crawler.auth import auth_values
    from crawler.robots import RobotsTxtMiddleware

    auth = auth_values(config)
    useragent = settings["USER_AGENT"]
    obey = settings.getbool("ROBOTSTXT_OBEY")
    robots: list[RobotsTxtMiddleware] = []

    def allows(url: str) -> bool | None:
        if not obey:
            return True
        if not robots and crawler.engine is not None:
            robots.extend(mw for mw in crawler.engine.downloader.middleware.middlewares
                          if isinstance(mw, RobotsTxtMiddleware))
        return robots[0].verdict(url, useragent) if robots else None

    def drained() -> None:
        """The last check is in: let the engine see whether the crawl is over (else it looks
        again at its next 5-second heartbeat)."""
        slot = getattr(crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    retries = settings.getint("RETRY_TIMES") > 0
    accept_encoding = ", ".join(e.decode() for e in ACCEPTED_ENCODINGS)  # what Scrapy's requests accept
    try:
        checks = HeadChecks(
            per_host=per_host, total=max(1, settings.getint("STOREAUDIT_HEAD_CHECKS_TOTAL", per_host)),
            timeout=settings.getfloat("DOWNLOAD_TIMEOUT"),
            headers={**settings.getdict("DEFAULT_REQUEST_HEADERS"), "User-Agent": useragent,
                     "Accept-Encoding": accept_encoding},
            retry_codes=frozenset(int(c) for c in settings.getlist("RETRY_HTTP_CODES")) if retries else frozenset(),
            max_retry_after=settings.getfloat("STOREAUDIT_MAX_RETRY_AFTER", 60.0), allows=allows,
            extra_headers=lambda url: auth if host_key(url) in site_hosts else {},
            answered=answered, hand_back=hand_back, drained=drained, site_hosts=frozenset(site_hosts),
            pipeline=settings.getbool("STOREAUDIT_HEAD_PIPELINE"))
    except NotSendable:  # e.g. a user agent that is not ASCII: Scrapy sends every request
        return None

    def idle() -> None:
        if checks.pending:
            raise DontCloseSpider

    def closed() -> Any:
        for key, n in checks.stats.items():
            crawler.stats.set_value(f"storeaudit/head_checks_{key}", n)  # type: ignore[union-attr]
        return deferred_from_coro(checks.close())

    checks.signal_handlers = (idle, closed)  # signals keep weak references: keep these alive
    crawler.signals.connect(idle, signal=signals.spider_idle)
    crawler.signals.connect(closed, signal=signals.spider_closed)
    return checks
