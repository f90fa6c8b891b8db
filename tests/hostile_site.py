"""A hostile store on 127.0.0.1: one route per way real sites trap or break a crawler.

Standard library only (``ThreadingHTTPServer`` on a free port). Every request is recorded
(path with query, headers) so tests can assert what the crawler did and did not fetch.

Routes (``GET``; ``HEAD`` answers the same without a body):

* traps: ``/traps/`` (index), ``/calendar/YYYY/MM`` (next month forever), ``/shoes?…``
  (every filter and sort combination), ``/session/…?sid=…`` (a new session id in every
  link, plus ``;jsessionid=`` path parameters), ``/deep/…`` (a relative ``a/`` link, deeper
  on every page), ``/many-links`` (20,000 numbered links);
* ``/order/`` links a list that links ``/order/target`` (two clicks), three other pages,
  and last a chain (``/order/chain/1`` … ``3``) that reaches the same target in four;
* hostile responses: ``/hostile/`` (index), ``/big`` (11 MB), ``/binary`` (random bytes
  as text/html), ``/liar`` (a charset that lies and one that does not exist), ``/nested``
  (100,000 unclosed elements), ``/hang`` (headers, then silence), ``/to-ftp`` and
  ``/to-js`` (redirects to non-web schemes), ``/bad-port`` (links no URL parser takes) and
  ``/to-bad-port`` (a redirect to one), ``/empty`` (200 with no body),
  ``/retry`` (429 with Retry-After: 1 the first time);
* ``/slow/N`` a 100-page tree answered slowly (interrupt and resume), with broken links;
* ``/wall/`` links to pages that all answer 403;
* ``/private/`` needs basic auth, a header and a cookie; links to ``external`` (another
  server) so tests can check the secret never leaves the store.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

FACETS = {"color": ["red", "blue", "green", "black"], "size": ["7", "8", "9", "10"],
          "sort": ["price", "name", "new"]}
SLOW_PAGES = 100
SLOW_DELAY = 0.1
#: Crawled strings that would run in a report that is not inert (texts of broken links).
INJECTION = ("<p><a href='/gone-1'>&lt;script&gt;alert('text')&lt;/script&gt;</a>"
             "<a href='/gone-2'><img src='/gone.png' alt='&quot; onerror=&quot;alert(1)'></a>"
             "<a href='/gone-3?q=&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;'>x</a></p>")
SECRET_USER = "stage-user"
SECRET_PASSWORD = "pw-7f3e9c1d5b"
SECRET_TOKEN = "tok-a81c44e0d2f9b7"
SECRET_COOKIE = "ck-5d90e3b2a7c1f8"


def page(title: str, body: str) -> bytes:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><main><h1>{title}</h1>{body}</main></body></html>").encode()


def links(*hrefs: str) -> str:
    return "".join(f"<p><a href='{h}'>{h}</a></p>" for h in hrefs)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    request_queue_size = 64  # the default backlog (5) drops connections when the crawler is busy
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A crawler hanging up (timeouts, cut-off downloads) is expected here, not an error."""


class HostileSite:
    """``with HostileSite() as site: site.url`` — serves until the block ends."""

    def __init__(self, *, external: str = "") -> None:
        self.external = external
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.retried: set[str] = set()
        self.active = 0
        #: most requests the server was answering at the same moment
        self.peak = 0
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}/"

    def __enter__(self) -> HostileSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()

    def count(self, prefix: str, method: str | None = None) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r.path.startswith(prefix) and method in (None, r.method))

    def paths(self, prefix: str = "/") -> list[str]:
        with self.lock:
            return [r.path for r in self.requests if r.path.startswith(prefix)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                with site.lock:
                    site.requests.append(Seen(self.command, self.path, dict(self.headers.items())))
                    site.active += 1
                    site.peak = max(site.peak, site.active)
                try:
                    site.route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with site.lock:
                        site.active -= 1

        return Handler

    # -- responses --------------------------------------------------------------------

    @staticmethod
    def send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"",
             ctype: str = "text/html; charset=utf-8", headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    def route(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        path, query = parts.path, dict(parse_qsl(parts.query))
        send = self.send
        if path == "/traps/":
            return send(h, 200, page("Traps", links("/calendar/2026/01", "/shoes", "/session/?sid=s0",
                                                    "/deep/", "/many-links")))
        if path.startswith("/calendar/"):
            year, month = (int(x) for x in path.split("/")[2:4])
            nxt = (year + month // 12, month % 12 + 1)
            prev = (year - (month == 1), (month - 2) % 12 + 1)
            return send(h, 200, page(f"Events {year}-{month:02d}", links(
                f"/calendar/{nxt[0]}/{nxt[1]:02d}", f"/calendar/{prev[0]}/{prev[1]:02d}")))
        if path == "/shoes":
            hrefs = []
            for name, values in FACETS.items():
                for value in values:
                    hrefs.append("/shoes?" + urlencode(sorted({**query, name: value}.items())))
            return send(h, 200, page("Shoes", links(*hrefs)))
        if path.startswith("/session/"):
            sid = f"s{random.randrange(10**9)}"
            hrefs = [f"/session/{i}?sid={sid}&utm_source=mail" for i in range(1, 6)]
            hrefs.append(f"/session/account;jsessionid={sid}")
            return send(h, 200, page(f"Session page {path}", links(*hrefs)))
        if path.startswith("/deep/"):
            return send(h, 200, page("Deeper", links("a/")))
        if path == "/order/":
            return send(h, 200, page("Two ways to one page", links(
                "/order/list", "/order/about", "/order/about/1", "/order/about/2", "/order/chain/1")))
        if path == "/order/list":
            return send(h, 200, page("A short way", links("/order/target")))
        if path.startswith("/order/chain/"):
            n = int(path.rsplit("/", 1)[1])
            return send(h, 200, page(f"A long way, step {n}", links(f"/order/chain/{n + 1}" if n < 3 else "/order/target")))
        if path == "/order/target":
            return send(h, 200, page("The page at the end of both ways", links("/order/beyond")))
        if path == "/order/beyond" or path.startswith("/order/about"):
            return send(h, 200, page("Beyond the target", ""))
        if path == "/many-links":
            return send(h, 200, page("Many links", links(*(f"/many/{i}" for i in range(20000)))))
        if path.startswith("/many/"):
            return send(h, 200, page("One of many", ""))
        if path == "/hostile/":
            return send(h, 200, page("Hostile <script>alert(1)</script>", links(
                "/big", "/binary", "/liar", "/nested", "/hang", "/to-ftp", "/to-js", "/empty", "/retry",
                "/bad-port", "/to-bad-port") + INJECTION))
        if path == "/bad-port":  # links no URL parser takes, beside one that works
            return send(h, 200, page("Bad ports", links("http://127.0.0.1:;^=/x", "//127.0.0.1:80a/y",
                                                        "/bad-port-target")))
        if path == "/bad-port-target":
            return send(h, 200, page("Target", ""))
        if path == "/to-bad-port":
            return send(h, 302, headers={"Location": "http://127.0.0.1:;^=/x"})
        if path == "/big":
            return send(h, 200, b"<html><body>" + b"<p>big</p>" * (11 * 1024 * 1024 // 10) + b"</body></html>")
        if path == "/binary":
            return send(h, 200, random.Random(7).randbytes(200_000))
        if path == "/liar":
            body = ("<html><head><meta charset='x-no-such-charset'><title>Caf\u00e9 \u2603</title></head>"
                    "<body><p>Gr\u00fc\u00dfe \u00e9t\u00e9</p><a href='/liar-target'>ok</a></body></html>")
            return send(h, 200, body.encode("utf-16"), ctype="text/html; charset=utf-8")
        if path == "/liar-target":
            return send(h, 200, page("Target", ""), ctype="text/html; charset=klingon")
        if path == "/nested":
            return send(h, 200, b"<html><body>" + b"<div><span><b>" * 35_000 + b"deep text <a href='/empty'>x</a>")
        if path == "/hang":
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            h.wfile.write(b"<html><body><p>never finishes")
            h.wfile.flush()
            self.stop.wait(60)
            return None
        if path == "/to-ftp":
            return send(h, 302, headers={"Location": "ftp://127.0.0.1/file"})
        if path == "/to-js":
            return send(h, 301, headers={"Location": "javascript:alert(1)"})
        if path == "/empty":
            return send(h, 200, b"")
        if path == "/retry":
            if h.command == "GET" and path not in self.retried:
                self.retried.add(path)
                return send(h, 429, b"slow down", headers={"Retry-After": "1"})
            return send(h, 200, page("Retried", ""))
        if path.startswith("/slow/"):
            return self.slow(h, path)
        if path == "/wall/":
            return send(h, 200, page("Wall", links(*(f"/wall/p/{i}" for i in range(200)))))
        if path.startswith("/wall/"):
            return send(h, 403, b"Forbidden by firewall")
        if path.startswith("/private/"):
            return self.private(h, path)
        if path == "/partner":
            return send(h, 200, page("Partner", ""))
        return send(h, 404, page("Not found", ""))

    def slow(self, h: BaseHTTPRequestHandler, path: str) -> None:
        """A tree of SLOW_PAGES pages: /slow/N links to its 3 children, a shared broken link and its own."""
        tail = path[len("/slow/"):]
        n = int(tail) if tail.isdigit() else 0
        if n >= SLOW_PAGES or (tail and not tail.isdigit()):
            return self.send(h, 404, page("Not found", ""))
        time.sleep(SLOW_DELAY)
        children = [f"/slow/{c}" for c in (3 * n + 1, 3 * n + 2, 3 * n + 3) if c < SLOW_PAGES]
        body = links(*children, "/slow/gone", f"/slow/missing-{n % 7}") + f"<img src='/slow/img-{n % 5}.png' alt='x'>"
        return self.send(h, 200, page(f"Slow page {n}", body))

    def private(self, h: BaseHTTPRequestHandler, path: str) -> None:
        import base64

        expected = "Basic " + base64.b64encode(f"{SECRET_USER}:{SECRET_PASSWORD}".encode()).decode()
        ok = (h.headers.get("Authorization") == expected and h.headers.get("X-Token") == SECRET_TOKEN
              and f"session={SECRET_COOKIE}" in (h.headers.get("Cookie") or ""))
        if not ok:
            return self.send(h, 401, page("Login required", ""), headers={"WWW-Authenticate": 'Basic realm="stage"'})
        if path == "/private/":
            return self.send(h, 200, page("Staging", links("/private/a", f"{self.external}partner",
                                                           f"{self.external}gone")),
                             headers={"Set-Cookie": "theme=dark; Path=/"})
        if path == "/private/a":
            return self.send(h, 200, page("Staging A", links("/private/missing")))
        return self.send(h, 404, page("Not found", ""))

