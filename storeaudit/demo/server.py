"""A real HTTP server for the bundled demo store ("Hearth & Home").

Two ``ThreadingHTTPServer`` instances on 127.0.0.1 (free ports):

* the *store*: static files from ``site/`` plus the special routes in ``ROUTES``;
* the *partner*: static files from ``external/`` (another host:port, so links to
  it are external links for the crawler).

Usage::

    with DemoServer() as server:
        audit(server.url)                 # e.g. http://127.0.0.1:43211/
        assert server.count("/private/report") == 0

    python -m storeaudit.demo.server      # serve in the foreground

Text files get ``__ORIGIN__`` / ``__EXTERNAL__`` replaced by the store / partner
origins.  Every planted defect is listed in ``ground_truth.json``.
Standard library only.
"""

from __future__ import annotations

import argparse
import os
import posixpath
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import secrets
from typing import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from storeaudit.demo.build_site import PRODUCTS, e, layout

HERE = Path(__file__).resolve().parent
SITE_DIR = HERE / "site"
EXTERNAL_DIR = HERE / "external"

SLOW_IMAGE_DELAY = 8.0  # seconds; the audit's timeout is 3 s

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
}
SUBSTITUTED = {".html", ".htm", ".xml", ".txt", ".css", ".js"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, demo: "DemoServer", root: Path, log: list, routes: dict):
        self.demo = demo
        self.root = root
        self.log = log
        self.routes = routes
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request, client_address):  # noqa: D401
        """A client hanging up (a crawler's timeout) is normal here, not worth a traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "HearthHome/1.0"
    sys_version = ""
    timeout = 30  # close idle keep-alive connections eventually

    # -- plumbing ---------------------------------------------------------
    def log_message(self, format: str, *args) -> None:  # silence stderr logging
        pass

    def _record(self) -> None:
        """Log the request: checkout flows (User-Agent '... checkout-flow') apart from the crawl."""
        demo = self.server.demo
        log = demo.flow_requests if "checkout-flow" in (self.headers.get("User-Agent") or "") else self.server.log
        with demo._lock:
            log.append((self.command, self.path))

    def send(self, status: int, body: bytes = b"", content_type: str | None = None, headers: dict | None = None) -> None:
        """Send a complete response (always with Content-Length; no body for HEAD)."""
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    def substitute(self, text: str) -> str:
        demo = self.server.demo
        return text.replace("__EXTERNAL__", demo.external_origin).replace("__ORIGIN__", demo.origin)

    def redirect(self, status: int, location: str) -> None:
        target = self.server.demo.origin + location if location.startswith("/") else location
        body = f'<!DOCTYPE html><html><body><p>Moved to <a href="{target}">{target}</a></p></body></html>'.encode()
        self.send(status, body, "text/html; charset=utf-8", {"Location": target})

    def not_found(self) -> None:
        page = self.server.root / "404.html"
        try:
            body = self.substitute(page.read_text("utf-8")).encode("utf-8")
        except OSError:
            body = b"<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>"
        self.send(404, body, "text/html; charset=utf-8")

    def error_page(self, status: int, title: str, message: str) -> None:
        body = (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1><p>{message}</p></body></html>\n"
        ).encode("utf-8")
        self.send(status, body, "text/html; charset=utf-8")

    # -- static files -----------------------------------------------------
    def resolve(self, path: str) -> Path | None:
        """Map a URL path to a file under the server root, or None."""
        path = unquote(path)
        if "\x00" in path:
            return None
        norm = posixpath.normpath(path)
        if ".." in norm.split("/"):
            return None
        rel = norm.lstrip("/")
        if path.endswith("/") or rel in ("", "."):
            rel = posixpath.join(rel, "index.html") if rel not in ("", ".") else "index.html"
        elif "." not in posixpath.basename(rel):
            rel += ".html"
        if rel in ("404.html",):  # the not-found page is never served with 200
            return None
        root = self.server.root
        candidate = (root / rel).resolve()
        if not str(candidate).startswith(str(root) + os.sep) or not candidate.is_file():
            return None
        return candidate

    def serve_static(self, path: str) -> None:
        file = self.resolve(path)
        if file is None:
            # /category/kitchen -> /category/kitchen/ when that folder has an index
            bare = unquote(path)
            if not bare.endswith("/") and "." not in posixpath.basename(bare) and (self.server.root / bare.lstrip("/") / "index.html").is_file():
                query = urlsplit(self.path).query
                return self.redirect(301, bare + "/" + (f"?{query}" if query else ""))
            return self.not_found()
        ext = file.suffix.lower()
        body = file.read_bytes()
        if ext in SUBSTITUTED:
            body = self.substitute(body.decode("utf-8")).encode("utf-8")
        self.send(200, body, CONTENT_TYPES.get(ext, "application/octet-stream"))

    # -- dispatch ---------------------------------------------------------
    def handle_get_or_head(self) -> None:
        self._record()
        path = urlsplit(self.path).path or "/"
        route = self.server.routes.get(path)
        if route is not None:
            route(self)
        else:
            self.serve_static(path)

    def do_GET(self) -> None:
        self.handle_get_or_head()

    def do_HEAD(self) -> None:
        self.handle_get_or_head()

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20)) if length else b""
        if length > 1 << 20:
            self.close_connection = True
        return body

    def refuse(self) -> None:
        self._record()
        self.read_body()
        body = b"<!DOCTYPE html><html><body><h1>405 Method Not Allowed</h1></body></html>"
        self.send(405, body, "text/html; charset=utf-8", {"Allow": "GET, HEAD"})

    def do_POST(self) -> None:
        route = POST_ROUTES.get(urlsplit(self.path).path)
        if route is None:
            return self.refuse()
        self._record()
        route(self, dict(parse_qsl(self.read_body().decode("utf-8", "replace"))))

    do_PUT = do_PATCH = do_DELETE = refuse

    # -- the basket: a cookie session, in memory --------------------------
    def basket(self) -> list[str]:
        """SKUs in this visitor's basket (empty without a session cookie)."""
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == SESSION_COOKIE:
                with self.server.demo._lock:
                    return list(self.server.demo.baskets.get(value, []))
        return []

    def session(self) -> tuple[str, dict]:
        """This visitor's session id, and the Set-Cookie header when it is new."""
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == SESSION_COOKIE and value in self.server.demo.baskets:
                return value, {}
        sid = secrets.token_hex(8)
        with self.server.demo._lock:
            self.server.demo.baskets[sid] = []
        return sid, {"Set-Cookie": f"{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax"}

    def page(self, path: str, title: str, main: str, status: int = 200) -> None:
        body = self.substitute(layout(path, title, f"{title} at Hearth & Home.", main)).encode("utf-8")
        self.send(status, body, "text/html; charset=utf-8")


# --------------------------------------------------------------------------
# Special routes of the store (path -> handler(request_handler))
# --------------------------------------------------------------------------


def _slow_banner(h: _Handler) -> None:
    demo = h.server.demo
    if demo._stopping.wait(demo.slow_delay):  # interrupted by stop(): just drop the connection
        h.close_connection = True
        return
    h.serve_static("/img/slow-banner.jpg")


def _placeholder(h: _Handler) -> None:
    h.error_page(200, "Image not found", "Sorry, this image is not available.")


def _empty_png(h: _Handler) -> None:
    h.send(200, b"", "image/png")


def _size_guide(h: _Handler) -> None:
    if h.command == "HEAD":
        h.send(405, b"", "text/html; charset=utf-8", {"Allow": "GET"})
    else:
        h.serve_static("/downloads/size-guide.pdf")


def _popular_mug(h: _Handler) -> None:
    demo = h.server.demo
    with demo._lock:
        first = not demo._mug_seen
        demo._mug_seen = True
    if first:
        body = b"<!DOCTYPE html><html><body><h1>Too many requests</h1><p>Please try again in a moment.</p></body></html>"
        h.send(429, body, "text/html; charset=utf-8", {"Retry-After": "1"})
    else:
        h.serve_static("/product/popular-mug")


def _server_error(h: _Handler) -> None:
    h.error_page(500, "500 Internal Server Error", "Something went wrong on our side. Please try again later.")


def _redirect(status: int, location: str) -> Callable[[_Handler], None]:
    return lambda h: h.redirect(status, location)


SESSION_COOKIE = "hh_session"
BY_SKU = {p["sku"]: (slug, p) for slug, p in PRODUCTS.items()}
BROKEN_ADD_SKU = "HH-1003"  # DEFECT 15: oak-board's add to basket answers 500
BROKEN_CHECKOUT_SKU = "HH-1004"  # DEFECT 16: checkout answers 500 with cast-iron-skillet in the basket


def csrf_token(sku: str) -> str:
    """The token the product page's add-to-basket form carries (see build_site.product_page)."""
    return f"d3m0T0k3n-{sku}-7f2c9a"


def _basket_add(h: _Handler, form: dict[str, str]) -> None:
    sku = form.get("product_id", "")
    if sku not in BY_SKU or form.get("csrfmiddlewaretoken") != csrf_token(sku):
        return h.error_page(403, "403 Forbidden", "Your session has expired. Please go back and try again.")
    if sku == BROKEN_ADD_SKU:
        return h.error_page(500, "500 Internal Server Error", "Something went wrong on our side.")
    sid, headers = h.session()
    with h.server.demo._lock:
        h.server.demo.baskets[sid].append(sku)
    h.send(303, b"", "text/html; charset=utf-8", {**headers, "Location": h.server.demo.origin + "/basket/"})


def _basket(h: _Handler) -> None:
    skus = h.basket()
    if not skus:
        return h.serve_static("/basket/")
    lines = "\n".join(f'      <li><a href="/product/{BY_SKU[s][0]}">{e(BY_SKU[s][1]["name"])}</a> '
                      f'<span class="price">{BY_SKU[s][1]["price"]}</span></li>' for s in skus)
    h.page("/basket/", "Your Basket", f"""    <h1>Your basket</h1>
    <ul class="basket-lines">
{lines}
    </ul>
    <p><a class="button" href="/checkout/">Go to checkout</a></p>""")


def _checkout(h: _Handler) -> None:
    skus = h.basket()
    if not skus:
        return h.serve_static("/checkout/")
    if BROKEN_CHECKOUT_SKU in skus:
        return h.error_page(500, "500 Internal Server Error", "Something went wrong on our side.")
    h.page("/checkout/", "Checkout", f"""    <h1>Checkout</h1>
    <p>{len(skus)} item(s) in your basket.</p>
    <form method="post" action="/checkout/place-order" class="checkout">
      <input type="hidden" name="csrfmiddlewaretoken" value="d3m0T0k3n-checkout-7f2c9a">
      <label>Email <input type="email" name="email" autocomplete="email" required></label>
      <label>Address <input type="text" name="address" autocomplete="street-address" required></label>
      <label>Postcode <input type="text" name="postcode" autocomplete="postal-code" required></label>
      <button type="submit">Place order</button>
    </form>""")


def _place_order(h: _Handler, form: dict[str, str]) -> None:
    """Counts placed orders: an audit must never get here (tests assert 0)."""
    with h.server.demo._lock:
        h.server.demo.orders += 1
    h.page("/checkout/place-order", "Thank you", "    <h1>Thank you for your order</h1>")


POST_ROUTES: dict[str, Callable[[_Handler, dict[str, str]], None]] = {
    "/basket/add": _basket_add,
    "/checkout/place-order": _place_order,
}

ROUTES: dict[str, Callable[[_Handler], None]] = {
    "/basket/": _basket,
    "/checkout/": _checkout,
    "/img/slow-banner.jpg": _slow_banner,  # DEFECT 9: image that times out (sleeps 8 s, audit timeout 3 s)
    "/img/placeholder.jpg": _placeholder,  # DEFECT 10: image URL that serves an HTML page
    "/img/empty.png": _empty_png,  # DEFECT 11: image with an empty body
    "/downloads/size-guide.pdf": _size_guide,  # NON-DEFECT c: HEAD refused (405), GET works
    "/product/popular-mug": _popular_mug,  # NON-DEFECT d: first request 429 Retry-After: 1, then 200
    "/private/report": _server_error,  # NON-DEFECT b: robots-disallowed, 500 if ever requested
    "/old-sale": _redirect(301, "/sale/"),  # NON-DEFECT a: redirect to a live page
    "/loop-a": _redirect(302, "/loop-b"),  # DEFECT 5: redirect loop a -> b
    "/loop-b": _redirect(302, "/loop-a"),  # DEFECT 5: redirect loop b -> a
    "/gift-cards": _server_error,  # DEFECT 4: internal page with a server error
}
for _n in range(1, 8):  # DEFECT 6: /hop/1 -> ... -> /hop/7 -> /sale/ (7 redirects, limit is 5)
    ROUTES[f"/hop/{_n}"] = _redirect(301, f"/hop/{_n + 1}" if _n < 7 else "/sale/")

# Partner site: static only (/partner/recipes exists; /partner/gone and the rest are 404).
EXTERNAL_ROUTES: dict[str, Callable[[_Handler], None]] = {}


class DemoServer:
    """The demo store and its partner site, on two free ports of 127.0.0.1."""

    def __init__(self, slow_delay: float = SLOW_IMAGE_DELAY, *, site_dir: Path | str | None = None):
        self.slow_delay = slow_delay
        self.site_dir = Path(site_dir) if site_dir else SITE_DIR  # a changed copy, for diff tests
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._mug_seen = False
        self.baskets: dict[str, list[str]] = {}  # session id -> SKUs
        self.orders = 0  # requests that would have placed an order
        #: requests of checkout flows (User-Agent ending in 'checkout-flow'); ``requests`` holds the crawl's
        self.flow_requests: list[tuple[str, str]] = []
        self.requests: list[tuple[str, str]] = []
        self.external_requests: list[tuple[str, str]] = []
        self._store: _Server | None = None
        self._partner: _Server | None = None
        self._threads: list[threading.Thread] = []
        self.url = self.origin = self.external_origin = ""

    def start(self) -> "DemoServer":
        if self._store is not None:
            return self
        self._stopping.clear()
        self._store = _Server(self, self.site_dir, self.requests, ROUTES)
        self._partner = _Server(self, EXTERNAL_DIR, self.external_requests, EXTERNAL_ROUTES)
        self.origin = "http://127.0.0.1:%d" % self._store.server_address[1]
        self.external_origin = "http://127.0.0.1:%d" % self._partner.server_address[1]
        self.url = self.origin + "/"
        for srv, name in ((self._store, "demo-store"), (self._partner, "demo-partner")):
            t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for srv in (self._store, self._partner):
            if srv is not None:
                srv.shutdown()
                srv.server_close()
        for t in self._threads:
            t.join(timeout=2)
        self._threads.clear()
        self._store = self._partner = None

    def __enter__(self) -> "DemoServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def count(self, path: str, method: str | None = None) -> int:
        """How many store requests hit ``path`` (compared with and without query string)."""
        with self._lock:
            log = list(self.requests)
        return sum(
            1
            for m, p in log
            if (method is None or m == method.upper()) and (p == path or ("?" not in path and p.split("?", 1)[0] == path))
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the Hearth & Home demo store on 127.0.0.1.")
    parser.add_argument("--slow-delay", type=float, default=SLOW_IMAGE_DELAY, help="seconds /img/slow-banner.jpg sleeps")
    args = parser.parse_args(argv)
    with DemoServer(slow_delay=args.slow_delay) as server:
        print(f"Demo store:   {server.url}")
        print(f"Partner site: {server.external_origin}/partner/recipes")
        print("Press Ctrl-C to stop.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
