"""A lean HTTP/1.1 client for HEAD requests: kept-alive connections, pipelined where the host allows.

Why: an audit sends ~36 HEAD requests per product page (every image, srcset variant and
file). aiohttp spent ~88 µs of CPU on each, most of it in its general request machinery
(URL objects, header multidicts, timers, the connector's bookkeeping, the response object);
this client spends ~28 µs on the same request (measured against the bench's nginx, 20,000
HEADs at 16 connections: docs/performance.md). The response is parsed by httptools (the C
parser llhttp, as uvicorn uses); this module only writes the requests and keeps connections.

Pipelining (RFC 9112 §9.3.2: a client may send safe requests without waiting for each
answer; the server answers them in order). On this kind of machine a system call costs more
than the rest of a request: one write and one read per HEAD were ~45 µs of the client's
system time and ~37 µs of nginx's CPU; four HEADs to a write took ~25 and ~25 µs each
(a one-off script, docs/performance.md). A host is asked one request at a time until it has
answered one, then two pipelined (the probe), then up to ``PIPELINE_DEPTH`` once it answered
those in order. Each answer may take the whole timeout after the one before, and each
request is tried as often as it would be alone: a timed-out request is not sent again, the
ones behind it are. A host that closes the connection with requests unanswered (without
having said ``Connection: close``), garbles an answer, sends a body to HEAD or lets the
probe's second answer time out gets one request at a time from then on, and what it left
unanswered is sent again on a fresh connection: pipelining changes the cost of a check,
never its result. The host still works on one request per connection at a time.

What it does not do is left to its caller (crawler/head_checks.py) or to Scrapy: redirects
(HEAD answers are returned as they are), proxies (the checks are off when proxies are set),
cookies, bodies, non-ASCII addresses (``NotSendable``: Scrapy requests those). A response to
HEAD has no body (RFC 9110 §9.3.2), so an answer ends with its headers' blank line; a server
that sends a body anyway has its connection closed after the answer, as one whose framing
cannot be trusted.

The timeout is a deadline per exchange (the requests written together), checked for all
connections by one sweep a second (``SWEEP``), not a timer per request: ``asyncio.timeout``
cost ~4.5 µs a request, ~36 a page. A request that stalls is failed up to one sweep after
its deadline.
"""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import SplitResult, urlsplit

import httptools

__all__ = ["HeadClient", "HeadError", "NotSendable"]

#: Seconds an idle kept-alive connection is reused for (aiohttp's default; servers keep
#: theirs 5–75 s and a stale one is retried once on a fresh connection).
KEEP_ALIVE = 15.0
#: Longest seconds between two looks for requests past their deadline (shorter for a short timeout).
SWEEP = 1.0
#: HEAD requests written together on one connection of a host that answers pipelined
#: requests in order. 4 took the client's CPU per HEAD from ~75 to ~25 µs and nginx's from
#: ~37 to ~25 µs; 8 gave ~20 and ~20 (HEADs alone). 16: fewer writes, wake-ups of the server
#: and lane turns a HEAD; in three alternating 10,000-page audits 10 % less CPU than 6, which a
#: later comparison of the session's start and end did not show beyond this machine's noise
#: (docs/performance.md, fourteenth session); 32 measured like 16.
PIPELINE_DEPTH = 16
#: Bytes of one answer's headers past which the answer is refused (as malformed).
MAX_HEADER_BYTES = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Header names as sent -> lower-cased str: a server sends the same ~10 with every answer.
_NAMES: dict[bytes, str] = {}
NAMES_REMEMBERED = 256
_NETLOC_END = re.compile(r"[/?#]")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")  # where the headers of an answer to HEAD end


class NotSendable(ValueError):
    """An address or header this client does not send (Scrapy requests it instead)."""


class HeadError(ConnectionError):
    """The server's answer could not be read (closed early, malformed): like a failed connection."""


#: status, headers as sent, ``time.monotonic()`` when the answer was read
Answered = tuple[int, list[tuple[bytes, bytes]], float]
#: status, headers (names lower-cased, first value of each), seconds from the writing of the request
Answer = tuple[int, dict[str, str], float]


class _Connection(asyncio.Protocol):
    """One kept-alive connection; ``send`` writes HEAD requests and returns one future of all
    their answers (or the error each got), which come in the order the requests were written.
    One future for the batch, not one per answer: each answer woke its reader through the
    event loop, ~3,300 instructions a HEAD (2.4 % of the client's, callgrind under a HEAD load)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reusable = True
        self.idle_since = 0.0
        self._waiting = 0  # answers still to come
        self._answered: list[Answered | BaseException] = []
        self._batch: asyncio.Future[list[Answered | BaseException]] | None = None
        self._buffer = b""
        self._parser: httptools.HttpResponseParser | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self.got_bytes = False
        self.close_said = False  # an answer said the server closes the connection after it
        self.deadline = 0.0  # the event loop's time by which the next answer must be in
        #: called when the server sends bytes after an answer (a body to HEAD): its answers'
        #: framing cannot be trusted, so its host is not sent pipelined requests
        self.on_body: Callable[[], None] = _nothing
        self.patience = 0.0  # seconds each answer may take after the one before

    # -- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if not self._waiting:  # bytes nobody asked for (a body to HEAD): the framing is off
            self.on_body()
            self.close()
            return
        self.got_bytes = True
        buffer = self._buffer + data if self._buffer else data
        start = 0
        while self._waiting:
            end = _BLANK_LINE.search(buffer, start)
            if end is None:
                break
            self._read_answer(buffer[start:end.end()])
            start = end.end()
            if self.closed:
                return
        rest = buffer[start:]
        if rest and not self._waiting:  # a body after the last answer awaited
            self.on_body()
            self.close()
        elif len(rest) > MAX_HEADER_BYTES:
            self._fail(HeadError("malformed answer: headers too long"))
        else:
            self._buffer = rest

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(HeadError("the server closed the connection before answering"))

    def _read_answer(self, head: bytes) -> None:
        """One answer's status line and headers, up to their blank line."""
        self._parser = httptools.HttpResponseParser(self)
        self._headers = []
        try:
            self._parser.feed_data(head)
        except httptools.HttpParserError as e:
            self._fail(HeadError(f"malformed answer: {e}"))

    # -- httptools callbacks --------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self._parser
        assert parser is not None
        status = parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # an interim answer (103 Early Hints): the real one follows
            return
        if not parser.should_keep_alive() or status == 101:
            self.reusable = False
            self.close_said = True
        self._waiting -= 1
        self._answered.append((status, self._headers, time.monotonic()))
        if self._waiting:  # the next answer has as long as the first had
            self.deadline = asyncio.get_running_loop().time() + self.patience
        else:
            self._settle()

    # -- use ------------------------------------------------------------------------------

    def send(self, requests: list[bytes], patience: float) -> asyncio.Future[list[Answered | BaseException]]:
        """Write ``requests`` at once; the future of their answers, in order, each the answer or
        the error it got. Each answer may take ``patience`` seconds after the one before (the
        first, after the writing)."""
        assert self.transport is not None and not self._waiting
        loop = asyncio.get_running_loop()
        batch = self._batch = loop.create_future()
        self._answered = []
        self._waiting = len(requests)
        self.patience = patience
        self.deadline = loop.time() + patience
        self.got_bytes = False
        self.close_said = False
        self.transport.write(requests[0] if len(requests) == 1 else b"".join(requests))
        return batch

    def _settle(self) -> None:
        """Every answer is in (or failed): the batch's future has them."""
        batch = self._batch
        if batch is not None and not batch.done():
            batch.set_result(self._answered)

    def done(self) -> None:
        """The answers were taken: the connection may serve the next requests."""
        self.idle_since = time.monotonic()

    def expire(self, now: float) -> None:
        """Fail the requests waiting here if their deadline has passed."""
        if self._waiting and self.deadline <= now:
            self._fail(TimeoutError("no answer in time"))

    def _fail(self, error: Exception) -> None:
        self.reusable = False
        if self._waiting:
            self._answered += [error] * self._waiting
            self._waiting = 0
            self._settle()
        self.close()

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()


class HeadClient:
    """HEAD requests over kept-alive connections per (scheme, host, port).

    The caller limits how many connections are in use (crawler/head_checks.py) and asks
    ``depth(url)`` how many requests to give ``head_many`` for one connection; this keeps at
    most ``max_idle`` idle connections, each for ``KEEP_ALIVE`` seconds. TLS certificates are
    verified as aiohttp and browsers do (a failure raises; the caller hands the URL to Scrapy).
    With ``pipeline`` off every connection carries one request at a time.
    """

    def __init__(self, *, timeout: float, headers: Mapping[str, str], max_idle: int = 64,
                 pipeline: bool = True):
        self.timeout = timeout
        self.max_idle = max_idle
        self.pipeline = pipeline
        self._common = _header_lines(headers.items())
        self._idle: dict[tuple[str, str, int], deque[_Connection]] = {}
        self._n_idle = 0
        self._ssl: ssl.SSLContext | None = None
        self._closed = False
        self._hosts: dict[tuple[str, str], tuple[tuple[str, str, int], str]] = {}
        self._lines: dict[tuple[tuple[str, str], ...], str] = {}
        self._open: set[_Connection] = set()  # every connection made, until a sweep finds it closed
        self._sweep: asyncio.TimerHandle | None = None
        #: per host: True pipelines, False does not, None answered one request, absent: never asked
        self._pipelines: dict[tuple[str, str, int], bool | None] = {}

    async def head(self, url: str, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str]]:
        """Status and headers (names lower-cased, first value of each) of HEAD ``url``.

        Raises NotSendable for an address this client does not send (not ASCII, user info),
        ``TimeoutError`` after ``timeout`` seconds, OSError (HeadError, ssl.SSLError, ...) when
        the server cannot be reached or its answer cannot be read.
        """
        (answer,) = await self.head_many([(url, headers or {})])
        if isinstance(answer, BaseException):
            raise answer
        return answer[:2]

    def depth(self, url: str) -> int:
        """How many requests for ``url``'s host to hand ``head_many`` at once: 1 until the
        host has answered one, 2 to find out whether it pipelines, then ``PIPELINE_DEPTH``
        (1 again for a host that does not)."""
        if not self.pipeline:
            return 1
        scheme, _, rest = url.partition("://")
        end = _NETLOC_END.search(rest)
        host = self._hosts.get((scheme, rest[:end.start()] if end else rest))
        if host is None:
            return 1
        state = self._pipelines.get(host[0], False)
        return PIPELINE_DEPTH if state else (2 if state is None else 1)

    async def head_many(self, requests: Sequence[tuple[str, Mapping[str, str]]]) -> list[Answer | BaseException]:
        """The answer to HEAD each ``(url, headers)``, in order, as ``head`` gives it with the
        seconds it took to come (from the writing of its request), or the exception ``head``
        would raise. Consecutive requests to one host share a connection (pipelined, ``depth``
        of them at a time)."""
        answers: list[Answer | BaseException] = []
        run: list[bytes] = []
        run_key: tuple[str, str, int] | None = None
        for url, headers in requests:
            try:
                key, data = self._request_bytes(url, headers)
            except NotSendable as e:
                answers.extend(await self._pipelined(run_key, run) if run else ())
                run, run_key = [], None
                answers.append(e)
                continue
            if key != run_key and run:
                answers.extend(await self._pipelined(run_key, run))  # type: ignore[arg-type]
                run = []
            run_key = key
            run.append(data)
        if run:
            answers.extend(await self._pipelined(run_key, run))  # type: ignore[arg-type]
        return answers

    async def _pipelined(self, key: tuple[str, str, int], requests: list[bytes]) -> list[Answer | BaseException]:
        """The answers to ``requests`` for one host, written together on one connection.

        Each request is tried as often as it would be alone: the first one left unanswered
        keeps its outcome when it had a lone request's chance (the first of the batch, or a
        timeout: each answer may take the whole timeout after the one before), and the ones
        behind it, which never had their turn, are sent again. A host that drops or garbles
        pipelined requests, or lets the probe's second answer time out, gets what it left
        unanswered again one at a time, and one at a time from then on."""
        if len(requests) > 1 and (not self.pipeline or self._pipelines.get(key) is False):
            return [answer for request in requests for answer in await self._pipelined(key, [request])]
        probe = len(requests) > 1 and self._pipelines.get(key) is None
        answers, close_said = await self._exchange(key, requests)
        missing = next((i for i, a in enumerate(answers) if isinstance(a, BaseException)), len(answers))
        if missing == len(answers):
            if key not in self._pipelines:
                if self.pipeline:
                    self._pipelines[key] = None  # it answers: two at once next
            elif probe and self._pipelines[key] is None:  # (not if it sent a body meanwhile)
                self._pipelines[key] = True
            return answers
        if missing == 0 or isinstance(answers[missing], TimeoutError):
            if probe and missing:
                self._no_pipelining(key)  # it may ignore pipelined requests (or that URL is slow)
            rest = requests[missing + 1:]
            return [*answers[:missing + 1], *(await self._pipelined(key, rest) if rest else ())]
        if close_said:  # the host ended the connection after an answer, as it may: the rest on a new one
            return [*answers[:missing], *await self._pipelined(key, requests[missing:])]
        self._no_pipelining(key)  # it dropped or garbled pipelined requests
        return [*answers[:missing], *[answer for request in requests[missing:]
                                      for answer in await self._pipelined(key, [request])]]

    def _no_pipelining(self, key: tuple[str, str, int]) -> None:
        """One request at a time to this host from now on."""
        self._pipelines[key] = False

    async def _exchange(self, key: tuple[str, str, int], requests: list[bytes]
                        ) -> tuple[list[Answer | BaseException], bool]:
        """Write ``requests`` on one connection and read their answers (or the error each got),
        and whether the server said it closes the connection. A kept-alive connection that
        turns out closed before it answers is replaced once."""
        deadline = asyncio.get_running_loop().time() + self.timeout  # to connect
        conn = self._take_idle(key)
        fresh = conn is None
        try:
            while True:
                if conn is None:
                    try:
                        conn = await self._connect(key, deadline)
                    except (OSError, TimeoutError) as e:  # ssl.SSLError is an OSError
                        return [e, *(HeadError("not sent") for _ in requests[1:])], False
                answers = await self._answers(conn, requests, self.timeout)
                if fresh or conn.got_bytes or not isinstance(answers[0], HeadError):
                    break
                conn.close()  # a kept-alive connection the server had closed: once more, afresh
                conn, fresh = None, True
        except BaseException:  # cancelled: the answers still to come belong to nobody
            if conn is not None:
                conn.close()
            raise
        conn.done()
        self._put_idle(key, conn)
        return answers, conn.close_said

    @staticmethod
    async def _answers(conn: _Connection, requests: list[bytes], patience: float) -> list[Answer | BaseException]:
        answers: list[Answer | BaseException] = []
        sent = time.monotonic()
        for answer in await conn.send(requests, patience):
            if isinstance(answer, BaseException):
                answers.append(answer)
                continue
            status, raw, read_at = answer
            headers: dict[str, str] = {}
            names = _NAMES
            for name, value in raw:
                key = names.get(name)
                if key is None:
                    if len(names) >= NAMES_REMEMBERED:
                        names.clear()
                    key = names[name] = name.decode("latin-1").lower()
                headers.setdefault(key, value.decode("latin-1"))
            answers.append((status, headers, read_at - sent))
        return answers

    def _request_bytes(self, url: str, headers: Mapping[str, str]) -> tuple[tuple[str, str, int], bytes]:
        """The connection key and the request's bytes; the host part of each distinct scheme and
        authority is worked out once (``urlsplit`` and its checks were ~3 µs a request)."""
        if not (url.isascii() and url.isprintable()) or " " in url:
            return self._request_bytes_split(url, headers)  # urlsplit drops some characters: its way
        scheme, sep, rest = url.partition("://")
        end = _NETLOC_END.search(rest)
        netloc, tail = (rest[:end.start()], rest[end.start():]) if end else (rest, "")
        host = self._hosts.get((scheme, netloc))
        if host is None:
            if len(self._hosts) >= 1024:
                self._hosts.clear()
            host = self._hosts[scheme, netloc] = self._host(f"{scheme}{sep}{netloc}")
        key, host_line = host
        path, _, query = tail.partition("#")[0].partition("?")
        target = (path or "/") + (f"?{query}" if query else "")
        return key, f"HEAD {target} HTTP/1.1\r\n{host_line}{self._common}{self._extra(headers)}\r\n".encode("ascii")

    def _host(self, origin: str) -> tuple[tuple[str, str, int], str]:
        """The connection key and Host line of ``origin`` (scheme://authority)."""
        return _host_of(_split(origin), origin)

    def _extra(self, headers: Mapping[str, str]) -> str:
        """The header lines of ``headers``, checked once for each distinct set (a page's Referer)."""
        if not headers:
            return ""
        items = tuple(headers.items())
        lines = self._lines.get(items)
        if lines is None:
            if len(self._lines) >= 256:
                self._lines.clear()
            lines = self._lines[items] = _header_lines(items)
        return lines

    def _request_bytes_split(self, url: str, headers: Mapping[str, str]) -> tuple[tuple[str, str, int], bytes]:
        """``_request_bytes`` for any URL, by ``urlsplit`` (which drops tabs and line breaks)."""
        if not url.isascii():
            raise NotSendable(f"not sent by the lean client: {url!r}")
        parts = _split(url)
        key, host_line = _host_of(parts, url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if any(c in target for c in " \r\n\t"):
            raise NotSendable(f"not sent by the lean client: {url!r}")
        return key, f"HEAD {target} HTTP/1.1\r\n{host_line}{self._common}{_header_lines(headers.items())}\r\n".encode("ascii")

    def _take_idle(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        if idle is None:
            return None
        now = time.monotonic()
        found = None
        while idle and found is None:
            conn = idle.pop()  # the most recently used: the least likely to be stale
            self._n_idle -= 1
            if not conn.closed and now - conn.idle_since < KEEP_ALIVE:
                found = conn
            else:
                conn.close()
        if not idle:  # no empty queue per host is kept: an audit may link thousands of hosts
            del self._idle[key]
        return found

    def _put_idle(self, key: tuple[str, str, int], conn: _Connection) -> None:
        if not conn.reusable or conn.closed or self._closed or self._n_idle >= self.max_idle:
            conn.close()
            return
        self._idle.setdefault(key, deque()).append(conn)
        self._n_idle += 1

    async def _connect(self, key: tuple[str, str, int], deadline: float) -> _Connection:
        scheme, host, port = key
        context = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        loop = asyncio.get_running_loop()
        async with asyncio.timeout_at(deadline):
            _, conn = await loop.create_connection(_Connection, host, port, ssl=context,
                                                   server_hostname=host if context else None)
        self._open.add(conn)
        conn.on_body = functools.partial(self._no_pipelining, key)
        if self._sweep is None and not self._closed:
            self._sweep = loop.call_later(self._sweep_every, self._expire)
        return conn

    @property
    def _sweep_every(self) -> float:
        return max(0.01, min(SWEEP, self.timeout / 10))

    def _expire(self) -> None:
        """Fail the requests past their deadline; forget closed connections; look again in a while."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        for conn in list(self._open):
            if conn.closed:
                self._open.discard(conn)
            else:
                conn.expire(now)
        self._sweep = loop.call_later(self._sweep_every, self._expire) if self._open and not self._closed else None

    async def close(self) -> None:
        self._closed = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        self._open.clear()
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        self._n_idle = 0


def _nothing() -> None:
    pass


def _host_of(parts: SplitResult, url: str) -> tuple[tuple[str, str, int], str]:
    """The connection key and Host line of a split URL; NotSendable for what this client does not send."""
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        raise NotSendable(f"not sent by the lean client: {url!r}")
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError as e:  # a port that is not a number
        raise NotSendable(str(e)) from None
    return (parts.scheme, parts.hostname, port), f"Host: {parts.netloc.lower()}\r\n"


def _split(url: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError as e:  # e.g. an unclosed IPv6 bracket
        raise NotSendable(f"not sent by the lean client: {url!r} ({e})") from None


def _header_lines(headers: Iterable[tuple[str, str]]) -> str:
    lines = []
    for name, value in headers:
        if not (name.isascii() and str(value).isascii()) or any(c in f"{name}{value}" for c in "\r\n"):
            raise NotSendable(f"header {name!r} cannot be sent")
        lines.append(f"{name}: {value}\r\n")
    return "".join(lines)
