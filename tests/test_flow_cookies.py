"""A checkout flow never runs in the crawl's cookie jar: cookies the crawl collects do not
reach a flow, and the flow's basket is its own."""

from __future__ import annotations

import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import run_cli

PAGE = ("<!doctype html><html lang='en'><head><title>{title}</title><meta name='description' content='{title}'>"
        "</head><body><main><h1>{title}</h1>{body}</main></body></html>")


class _Shop(BaseHTTPRequestHandler):
    """A shop whose home page gives every visitor (the crawl too) a session cookie."""

    protocol_version = "HTTP/1.1"
    baskets: dict[str, list[str]] = {}
    seen: list[tuple[str, str, str, str]] = []  # (who, method, path, cookie header)
    lock = threading.Lock()

    def log_message(self, *args):  # noqa: D401 - quiet
        pass

    def _sid(self) -> str:
        cookie = self.headers.get("Cookie", "")
        return next((c.split("=", 1)[1] for c in cookie.split("; ") if c.startswith("sid=")), "")

    def _send(self, status: int, body: str = "", *, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        for k, v in {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(data)), **(headers or {})}.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _record(self) -> None:
        who = "flow" if "checkout-flow" in self.headers.get("User-Agent", "") else "crawl"
        with self.lock:
            self.seen.append((who, self.command, self.path, self.headers.get("Cookie", "")))

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self._record()
        sid = self._sid()
        if self.path == "/":
            return self._send(200, PAGE.format(title="Tiny shop", body="<a href='/p/1'>Teapot</a>"),
                              headers={} if sid else {"Set-Cookie": "sid=crawl; Path=/"})
        if self.path == "/p/1":
            form = ("<form method='post' action='/cart/add'><input type='hidden' name='product_id' value='1'>"
                    "<button type='submit'>Add to basket</button></form>")
            return self._send(200, PAGE.format(title="Teapot", body=f"<p>Teapot, £20.00</p>{form}"))
        if self.path == "/basket/":
            items = "".join(f"<li><a href='/p/{i}'>Teapot</a></li>" for i in self.baskets.get(sid, []))
            return self._send(200, PAGE.format(title="Basket", body=f"<ul>{items}</ul><a href='/checkout/'>Checkout</a>"))
        if self.path == "/checkout/":
            return self._send(200, PAGE.format(title="Checkout", body="<form method='post' action='/checkout/next'>"
                                               "<input type='email' name='email'><button>Continue</button></form>"))
        return self._send(404, PAGE.format(title="Not found", body=""))

    def do_POST(self):
        self._record()
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path != "/cart/add":
            return self._send(405)
        sid = self._sid()
        headers = {"Location": "/basket/"}
        if not sid:
            sid = f"flow-{len(self.baskets) + 1}"
            headers["Set-Cookie"] = f"sid={sid}; Path=/"
        with self.lock:
            self.baskets.setdefault(sid, []).append("1")
        return self._send(302, headers=headers)


def test_a_flow_never_uses_the_crawls_cookies(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Shop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    try:
        result = run_cli("audit", url, "--db", str(tmp_path / "a.db"), "--format", "json", "-o", "-", "-q")
    finally:
        server.shutdown()
        server.server_close()
    assert result.code in (0, 1), result.stderr
    crawl = [s for s in _Shop.seen if s[0] == "crawl"]
    flow = [s for s in _Shop.seen if s[0] == "flow"]
    assert any("sid=crawl" in cookie for _, _, _, cookie in crawl)  # the crawl did collect a cookie
    assert flow and not any("sid=crawl" in cookie for _, _, _, cookie in flow)
    assert ("flow", "POST", "/cart/add", "") in flow  # the flow starts with an empty jar
    assert "crawl" not in _Shop.baskets  # the crawl's basket is untouched
    with sqlite3.connect(tmp_path / "a.db") as db:
        assert db.execute("select outcome from flows").fetchall() == [("reached-checkout",)]
