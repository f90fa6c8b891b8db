"""The lean HEAD client (crawler/head_client.py) against real sockets on 127.0.0.1.

Each test starts a small server that answers as a given kind of web server would — well, or
badly — and checks what the client makes of it: the answer, how many connections it used,
and which errors it raises (the HEAD checks hand those URLs to Scrapy).
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.head_client import PIPELINE_DEPTH, HeadClient, HeadError, NotSendable

OK = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 5120\r\n\r\n"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


def serve(handler: Handler, test: Callable[[str, list[bytes], list[int]], Awaitable[None]],
          tls: ssl.SSLContext | None = None) -> None:
    """Run ``test(base_url, requests, connections)`` against a server whose connections go to ``handler``."""
    requests: list[bytes] = []
    connections: list[int] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)

        async def recording() -> bytes:
            request = await read_request(reader)
            requests.append(request)
            return request

        reader.request = recording  # type: ignore[attr-defined]
        try:
            await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=tls)
        port = server.sockets[0].getsockname()[1]
        async with server:
            await test(f"{'https' if tls else 'http'}://127.0.0.1:{port}", requests, connections)

    asyncio.run(main())


async def answer_each(reader, writer, answer: bytes = OK) -> None:
    while True:
        await reader.request()
        writer.write(answer)
        await writer.drain()


def test_answers_come_back_with_status_and_headers_and_one_connection_serves_them_all():
    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={"User-Agent": "storeaudit-test"})
        answers = [await client.head(f"{base}/img/{i}.jpg", {"Referer": f"{base}/p"}) for i in range(3)]
        await client.close()
        assert answers == [(200, {"content-type": "image/jpeg", "content-length": "5120"})] * 3
        assert len(connections) == 1
        first = requests[0].decode()
        assert first.startswith("HEAD /img/0.jpg HTTP/1.1\r\n")
        assert f"Host: {base.removeprefix('http://')}\r\n" in first
        assert "User-Agent: storeaudit-test\r\n" in first and f"Referer: {base}/p\r\n" in first

    serve(answer_each, test)


def test_a_query_is_sent_and_a_fragment_is_not():
    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={})
        await client.head(f"{base}/search?q=red%20shoes&page=2#results")
        await client.close()
        assert requests[0].startswith(b"HEAD /search?q=red%20shoes&page=2 HTTP/1.1\r\n")

    serve(answer_each, test)


def test_a_kept_alive_connection_the_server_drops_unanswered_is_retried_once_afresh():
    async def one_answer_per_connection(reader, writer):  # as a server whose keep-alive ran out
        await reader.request()
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await reader.request()  # read, never answered: the connection closes

    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={})
        statuses = [(await client.head(f"{base}/{name}.jpg"))[0] for name in "abc"]
        await client.close()
        assert statuses == [404, 404, 404]
        assert len(connections) == 3 and len(requests) == 5  # b and c were each sent twice

    serve(one_answer_per_connection, test)


def test_connection_close_is_honoured():
    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={})
        for name in ("a", "b"):
            assert (await client.head(f"{base}/{name}.jpg"))[0] == 200
        await client.close()
        assert len(connections) == 2

    async def handler(reader, writer):
        await answer_each(reader, writer, b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 9\r\n\r\n")

    serve(handler, test)


def test_a_body_sent_to_head_does_not_leak_into_the_next_answer():
    async def with_body(reader, writer):
        while True:
            await reader.request()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nHTTP/1.1 500")  # a body that looks like an answer
            await writer.drain()

    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={})
        statuses = [(await client.head(f"{base}/{i}.jpg"))[0] for i in range(3)]
        await client.close()
        assert statuses == [200, 200, 200]
        assert len(connections) == 3  # each connection is dropped after such an answer

    serve(with_body, test)


def test_an_interim_answer_is_skipped_for_the_final_one():
    async def early_hints(reader, writer):
        await reader.request()
        writer.write(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + OK)
        await writer.drain()
        await answer_each(reader, writer)

    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={})
        assert (await client.head(f"{base}/x.jpg"))[0] == 200
        assert (await client.head(f"{base}/y.jpg"))[0] == 200
        await client.close()
        assert len(connections) == 1

    serve(early_hints, test)


def test_repeated_headers_keep_their_first_value_and_names_any_case():
    async def handler(reader, writer):
        await answer_each(reader, writer, b"HTTP/1.1 301 Moved\r\nlocation: /new\r\nLOCATION: /other\r\n"
                                          b"Content-Length: 0\r\n\r\n")

    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={})
        status, headers = await client.head(f"{base}/old")
        await client.close()
        assert (status, headers["location"]) == (301, "/new")

    serve(handler, test)


def head_fails(handler: Handler, error: type[BaseException], *, timeout: float = 5) -> list[int]:
    """HEAD one URL of a server whose connections go to ``handler``: ``error`` is raised.
    Returns the connections the server saw."""
    seen: list[int] = []

    async def test(base, requests, connections):
        client = HeadClient(timeout=timeout, headers={})
        with pytest.raises(error):
            await client.head(f"{base}/x.jpg")
        await client.close()
        seen.extend(connections)

    serve(handler, test)
    return seen


def test_garbage_instead_of_an_answer_is_an_error_the_checks_hand_to_scrapy():
    async def garbage(reader, writer):
        await reader.request()
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(1)

    head_fails(garbage, HeadError)


def test_a_fresh_connection_closed_without_an_answer_is_not_retried():
    async def hang_up(reader, writer):
        await reader.request()

    assert len(head_fails(hang_up, OSError)) == 1


def test_a_server_that_never_answers_times_out():
    async def silent(reader, writer):
        await reader.request()
        await asyncio.sleep(5)

    head_fails(silent, TimeoutError, timeout=0.3)


def test_a_refused_connection_is_an_os_error():
    async def refused():
        client = HeadClient(timeout=5, headers={})
        with pytest.raises(OSError):
            await client.head("http://127.0.0.1:9/x.jpg")  # discard port: nothing listens here
        await client.close()

    asyncio.run(refused())


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/café.jpg", "http://127.0.0.1:80x0/a.jpg",
                                 "http://user:pw@127.0.0.1:8000/a.jpg", "ftp://127.0.0.1/a.jpg",
                                 "http://127.0.0.1:8000/a b.jpg"])
def test_addresses_it_does_not_send_are_left_to_scrapy(url):
    client = HeadClient(timeout=5, headers={})
    with pytest.raises(NotSendable):
        asyncio.run(client.head(url))


def test_a_header_that_would_split_the_request_is_never_sent():
    with pytest.raises(NotSendable):
        HeadClient(timeout=5, headers={"User-Agent": "x\r\nX-Injected: 1"})
    client = HeadClient(timeout=5, headers={})
    with pytest.raises(NotSendable):
        asyncio.run(client.head("http://127.0.0.1:8000/a.jpg", {"Referer": "http://a/\nX: 1"}))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_a_certificate_no_authority_vouches_for_is_refused(tmp_path: Path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)

    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={})
        with pytest.raises(ssl.SSLError):
            await client.head(f"{base}/x.jpg")
        await client.close()
        assert requests == []

    serve(answer_each, test, tls=tls)


def test_nothing_is_kept_for_a_host_once_it_has_no_idle_connection():
    """An audit may check links to thousands of other hosts: none may leave a trace behind."""
    async def then_close(reader, writer):
        await reader.request()
        writer.write(OK)
        await writer.drain()
        await reader.request()
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        await writer.drain()

    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={})
        await client.head(f"{base}/a.jpg")
        assert len(client._idle) == 1  # kept alive for the next request
        await client.head(f"{base}/b.jpg")
        assert client._idle == {}
        await client.close()

    serve(then_close, test)


def test_a_kept_alive_connection_whose_answer_stalls_times_out_and_is_not_reused():
    """The deadline is swept for every connection, not only for fresh ones."""
    async def answer_once_then_stall(reader, writer):
        await reader.request()
        writer.write(OK)
        await writer.drain()
        await reader.request()
        await asyncio.sleep(5)

    async def test(base, requests, connections):
        client = HeadClient(timeout=0.3, headers={})
        assert (await client.head(f"{base}/a.jpg"))[0] == 200
        with pytest.raises(TimeoutError):
            await client.head(f"{base}/b.jpg")
        assert client._idle == {}  # the stalled connection is closed, not kept for the next request
        assert (await client.head(f"{base}/c.jpg"))[0] == 200
        assert len(connections) == 2
        await client.close()

    serve(answer_once_then_stall, test)


_URL_PART = st.text(alphabet="aZ09-._~%:/?#[]@!$&'()*+,;= \t\nÿ", max_size=12)


@given(scheme=st.sampled_from(["http", "https", "HTTP", "ftp", "", "mailto"]),
       sep=st.sampled_from(["://", ":/", ":", "//"]),
       host=st.sampled_from(["127.0.0.1", "Shop.Example", "127.0.0.1:8080", "[::1]:81", "a:b@h", "h:x", ""]),
       rest=_URL_PART, referer=st.sampled_from(["", "http://127.0.0.1/p", "http://a/\nX: 1"]))
@settings(max_examples=400, deadline=None)
def test_the_request_is_the_one_urlsplit_makes_of_the_url(scheme, sep, host, rest, referer):
    """The request line and Host header come from a fast split of the URL; whatever the URL,
    they are those ``urlsplit`` gives (or both refuse it)."""
    client = HeadClient(timeout=5, headers={"User-Agent": "t"})
    url, headers = f"{scheme}{sep}{host}{rest}", {"Referer": referer} if referer else {}

    def made(request_bytes):
        try:
            return request_bytes(url, headers)
        except NotSendable:
            return "not sendable"

    assert made(client._request_bytes) == made(client._request_bytes_split)


# -- pipelining ----------------------------------------------------------------------------

def _status_of(request: bytes) -> int:
    """The status a test server gives a request for /<status>/<name>: answers name their request."""
    return int(request.split(b" ", 2)[1].split(b"/")[1])


def _answer(status: int, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 %d X\r\nContent-Type: image/jpeg\r\nContent-Length: 5120\r\n%s\r\n" % (status, extra)


async def answer_in_order(reader, writer) -> None:
    while True:
        request = await reader.request()
        writer.write(_answer(_status_of(request)))
        await writer.drain()


def _urls(base: str, n: int, start: int = 0) -> list[str]:
    statuses = (200, 404, 410, 301, 500, 204)
    return [f"{base}/{statuses[i % len(statuses)]}/{i}.jpg" for i in range(start, start + n)]


def _expected(base: str, urls: list[str]) -> list[int]:
    return [_status_of(b"HEAD " + url.removeprefix(base).encode()) for url in urls]


async def _every_url_gets_its_own_answer(client: HeadClient, base: str, n: int) -> list[str]:
    """HEAD ``n`` URLs as the checks send them, assert each got the answer to its own request,
    close the client; returns the URLs."""
    urls = _urls(base, n)
    statuses = await _each_batch(client, urls)
    await client.close()
    assert statuses == _expected(base, urls)
    return urls


async def _each_batch(client: HeadClient, urls: list[str]) -> list[int]:
    """Status of each URL, sent as the HEAD checks send them: as many at once as ``depth`` says."""
    statuses = []
    while urls:
        batch, urls = urls[:client.depth(urls[0])], urls[client.depth(urls[0]):]
        for answer in await client.head_many([(url, {}) for url in batch]):
            assert not isinstance(answer, BaseException), answer
            statuses.append(answer[0])
    return statuses


def test_a_host_that_answers_one_request_then_two_pipelined_gets_them_pipeline_depth_at_a_time():
    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={})
        urls = _urls(base, 40)
        assert client.depth(urls[0]) == 1  # never asked yet
        statuses = await _each_batch(client, urls)
        await client.close()
        assert statuses == _expected(base, urls)  # each its own answer
        assert client.depth(urls[0]) == PIPELINE_DEPTH and len(connections) == 1

    serve(answer_in_order, test)


def test_pipelining_can_be_turned_off():
    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={}, pipeline=False)
        await _each_batch(client, _urls(base, 5))
        assert client.depth(f"{base}/a.jpg") == 1
        await client.close()

    serve(answer_in_order, test)


def test_a_host_that_ignores_pipelined_requests_is_sent_one_at_a_time_after_the_probe():
    """An old server (or a proxy) reads one request, answers it and drops what followed in the
    same packet: the probe's second answer never comes. That request times out as a lone one
    would (the checks hand it to Scrapy, whose request is the retry) and is not sent again
    here; the host gets one request at a time from then on, each with its own answer."""
    received: list[bytes] = []

    async def one_request_per_read(reader, writer):
        while True:
            data = await reader.read(65536)
            if not data:
                return
            received.extend(r.split(b" ")[1] for r in data.split(b"\r\n\r\n") if r)
            first = data.split(b"\r\n\r\n", 1)[0]
            writer.write(_answer(_status_of(first)))
            await writer.drain()

    async def test(base, requests, connections):
        client = HeadClient(timeout=0.3, headers={})
        urls = _urls(base, 8)
        first = await client.head_many([(urls[0], {})])
        probe = await client.head_many([(url, {}) for url in urls[1:3]])
        assert client.depth(urls[0]) == 1
        rest = await _each_batch(client, urls[3:])
        await client.close()
        expected = _expected(base, urls)
        assert [first[0][0], probe[0][0]] == expected[:2] and isinstance(probe[1], TimeoutError)
        assert rest == expected[3:]
        assert received.count(urls[2].removeprefix(base).encode()) == 1  # sent once: Scrapy retries it

    serve(one_request_per_read, test)


def test_a_slow_answer_holds_up_the_ones_behind_it_which_are_sent_again_and_only_they():
    """Pipelined answers come in order: a slow one times out as it would alone, and the
    requests written after it, never answered, go again on a new connection; the host keeps
    being sent pipelined requests (a slow URL says nothing about pipelining)."""
    async def slow_on_500(reader, writer):
        while True:
            request = await reader.request()
            if b"/500/" in request:
                await asyncio.sleep(2)
            writer.write(_answer(_status_of(request)))
            await writer.drain()

    async def test(base, requests, connections):
        client = HeadClient(timeout=0.5, headers={})
        urls = _urls(base, 4)  # 200, 404, 410, 301: the host learns to pipeline
        assert await _each_batch(client, urls) == [200, 404, 410, 301]
        batch = [f"{base}/200/a.jpg", f"{base}/500/slow.jpg", f"{base}/404/b.jpg", f"{base}/410/c.jpg"]
        answers = await client.head_many([(url, {}) for url in batch])
        await client.close()
        assert answers[0][0] == 200 and isinstance(answers[1], TimeoutError)
        assert [a[0] for a in answers[2:]] == [404, 410]
        sent = [r.split(b" ")[1] for r in requests]
        assert sent.count(b"/500/slow.jpg") == 1 and client.depth(batch[0]) == PIPELINE_DEPTH

    serve(slow_on_500, test)


def test_a_host_that_hangs_up_on_pipelined_requests_gets_them_again_one_at_a_time():
    async def one_answer_then_hang_up_if_more_came(reader, writer):
        while True:
            request = await reader.request()
            writer.write(_answer(_status_of(request)))
            await writer.drain()
            if reader._buffer:  # type: ignore[attr-defined]  # another request was already sent: refuse to pipeline
                return

    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={})
        urls = await _every_url_gets_its_own_answer(client, base, 8)
        assert client.depth(urls[0]) == 1

    serve(one_answer_then_hang_up_if_more_came, test)


def test_a_connection_the_host_closes_after_saying_so_sends_the_rest_on_a_new_one():
    """``Connection: close`` on the fourth answer (a server's keep-alive limit): the requests
    after it go on a fresh connection, and the host keeps being sent pipelined requests."""
    async def close_after_four(reader, writer):
        for n in range(1, 5):
            request = await reader.request()
            writer.write(_answer(_status_of(request), b"Connection: close\r\n" if n == 4 else b""))
            await writer.drain()

    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={})
        urls = await _every_url_gets_its_own_answer(client, base, 15)
        assert client.depth(urls[0]) == PIPELINE_DEPTH and len(connections) == 4

    serve(close_after_four, test)


def test_a_body_sent_to_pipelined_head_requests_never_answers_the_next_one():
    """A body after an answer to HEAD (bytes that even look like an answer) is no answer to
    the request after it: the connection is dropped and the rest sent again."""
    async def with_body(reader, writer):
        while True:
            request = await reader.request()
            writer.write(_answer(_status_of(request)) + b"HTTP/1.1 200 OK\r\n\r\n")
            await writer.drain()

    async def test(base, requests, connections):
        client = HeadClient(timeout=5, headers={})
        urls = await _every_url_gets_its_own_answer(client, base, 10)
        assert client.depth(urls[0]) == 1  # a host whose answers carry bodies is never sent two at once

    serve(with_body, test)
