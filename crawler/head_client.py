"""A lean HTTP/1.1 client for HEAD requests: kept-alive connections, one request at a time each.

Why: an audit sends ~36 HEAD requests per product page (every image, srcset variant and
file). aiohttp spent ~88 µs of CPU on each, most of it in its general request machinery
(URL objects, header multidicts, timers, the connector's bookkeeping, the response object);
this client spends ~28 µs on the same request (measured against the bench's nginx, 20,000
HEADs at 16 connections: docs/performance.md). The response is parsed by httptools (the C
parser llhttp, as uvicorn uses); this module only writes the request and keeps connections.

What it does not do is left to its caller (crawler/head_checks.py) or to Scrapy: redirects
(HEAD answers are returned as they are), proxies (the checks are off when proxies are set),
cookies, bodies, non-ASCII addresses (``NotSendable``: Scrapy requests those). A response to
HEAD has no body (RFC 9110 §9.3.2), so the answer is complete with its headers; a server
that sends a body anyway has its connection closed after the answer, as one whose framing
cannot be trusted.

The timeout is a deadline per request, checked for all connections by one sweep a second
(``SWEEP``), not a timer per request: ``asyncio.timeout`` cost ~4.5 µs a request, ~36 a page.
A request that stalls is failed up to one sweep after its deadline.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections import deque
from collections.abc import Iterable, Mapping
from urllib.parse import SplitResult, urlsplit

import httptools

__all__ = ["HeadClient", "HeadError", "NotSendable"]

#: Seconds an idle kept-alive connection is reused for (aiohttp's default; servers keep
#: theirs 5–75 s and a stale one is retried once on a fresh connection).
KEEP_ALIVE = 15.0
#: Longest seconds between two looks for requests past their deadline (shorter for a short timeout).
SWEEP = 1.0
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NETLOC_END = re.compile(r"[/?#]")


class NotSendable(ValueError):
    """An address or header this client does not send (Scrapy requests it instead)."""


class HeadError(ConnectionError):
    """The server's answer could not be read (closed early, malformed): like a failed connection."""


class _Connection(asyncio.Protocol):
    """One kept-alive connection; ``request`` sends a HEAD and waits for its answer's headers."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reusable = True
        self.idle_since = 0.0
        self._answer: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] | None = None
        self._parser: httptools.HttpResponseParser | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self.got_bytes = False
        self.deadline = 0.0  # the event loop's time by which the answer must be in

    # -- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._parser is None:  # bytes nobody asked for: the framing is off
            self.reusable = False
            self.close()
            return
        self.got_bytes = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as e:
            self._fail(HeadError(f"malformed answer: {e}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(HeadError("the server closed the connection before answering"))

    # -- httptools callbacks --------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser, answer = self._parser, self._answer
        assert parser is not None
        status = parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # an interim answer (103 Early Hints): the real one follows
            self._headers = []
            return
        self.reusable = self.reusable and parser.should_keep_alive() and status != 101
        self._parser = None  # HEAD: nothing follows the headers
        if answer is not None and not answer.done():
            answer.set_result((status, self._headers))

    def on_body(self, body: bytes) -> None:
        self.reusable = False  # a body to HEAD: the next answer's start is not known

    # -- use ------------------------------------------------------------------------------

    def request(self, data: bytes, deadline: float) -> asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]]:
        assert self.transport is not None and self._answer is None
        self.deadline = deadline
        self._answer = asyncio.get_running_loop().create_future()
        self._parser = httptools.HttpResponseParser(self)
        self._headers = []
        self.got_bytes = False
        self.transport.write(data)
        return self._answer

    def done(self) -> None:
        """The answer was taken: the connection may serve the next request."""
        self._answer = None
        self.idle_since = time.monotonic()

    def expire(self, now: float) -> None:
        """Fail the request waiting here if its deadline has passed."""
        if self._answer is not None and not self._answer.done() and self.deadline <= now:
            self._fail(TimeoutError("no answer in time"))

    def _fail(self, error: Exception) -> None:
        self.reusable = False
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)
        self.close()

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()


class HeadClient:
    """HEAD requests over kept-alive connections per (scheme, host, port).

    The caller limits how many requests are in flight (crawler/head_checks.py); this keeps at
    most ``max_idle`` idle connections, each for ``KEEP_ALIVE`` seconds. TLS certificates are
    verified as aiohttp and browsers do (a failure raises; the caller hands the URL to Scrapy).
    """

    def __init__(self, *, timeout: float, headers: Mapping[str, str], max_idle: int = 64):
        self.timeout = timeout
        self.max_idle = max_idle
        self._common = _header_lines(headers.items())
        self._idle: dict[tuple[str, str, int], deque[_Connection]] = {}
        self._n_idle = 0
        self._ssl: ssl.SSLContext | None = None
        self._closed = False
        self._hosts: dict[tuple[str, str], tuple[tuple[str, str, int], str]] = {}
        self._lines: dict[tuple[tuple[str, str], ...], str] = {}
        self._open: set[_Connection] = set()  # every connection made, until a sweep finds it closed
        self._sweep: asyncio.TimerHandle | None = None

    async def head(self, url: str, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str]]:
        """Status and headers (names lower-cased, first value of each) of HEAD ``url``.

        Raises NotSendable for an address this client does not send (not ASCII, user info),
        ``TimeoutError`` after ``timeout`` seconds, OSError (HeadError, ssl.SSLError, ...) when
        the server cannot be reached or its answer cannot be read.
        """
        key, data = self._request_bytes(url, headers or {})
        deadline = asyncio.get_running_loop().time() + self.timeout
        conn = self._take_idle(key)
        try:
            if conn is None:
                conn = await self._connect(key, deadline)
                status, raw = await conn.request(data, deadline)
            else:
                try:
                    status, raw = await conn.request(data, deadline)
                except HeadError:
                    if conn.got_bytes:
                        raise
                    # a kept-alive connection the server had closed: once more, afresh
                    conn.close()
                    conn = await self._connect(key, deadline)
                    status, raw = await conn.request(data, deadline)
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        conn.done()
        self._put_idle(key, conn)
        answer: dict[str, str] = {}
        for name, value in raw:
            answer.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        return status, answer

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
