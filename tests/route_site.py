"""A small store on 127.0.0.1 with fixed routes, for tests that need exact answers.

Each route is ``path -> (content type, body)`` (200; unknown paths 404) or a function of
``(method, times asked)`` returning ``(status, headers, body)``. The server records every
request (method, path) and the most requests it had in flight at once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int, dict[str, str], bytes]
Route = tuple[str, bytes] | Callable[[str, int], Answer]


class RouteSite:
    def __init__(self, routes: dict[str, Route], *, delay: float = 0.0):
        self.routes = routes
        self.delay = delay
        self.requests: list[tuple[str, str]] = []
        self.asked: Counter[str] = Counter()
        self.in_flight = 0
        self.peak = 0
        lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                with lock:
                    site.requests.append((self.command, self.path))
                    site.asked[self.path] += 1
                    times = site.asked[self.path]
                    site.in_flight += 1
                    site.peak = max(site.peak, site.in_flight)
                try:
                    if site.delay and self.path != "/robots.txt":
                        time.sleep(site.delay)
                    status, headers, body = site.answer(self.command, self.path, times)
                    self.send_response(status)
                    for name, value in {"Content-Length": str(len(body)), **headers}.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if self.command == "GET":
                        self.wfile.write(body)
                finally:
                    with lock:
                        site.in_flight -= 1

            do_HEAD = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, method: str, path: str, times: int) -> Answer:
        route = self.routes.get(path)
        if route is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        if callable(route):
            return route(method, times)
        ctype, body = route
        return 200, {"Content-Type": ctype}, body

    def __enter__(self) -> RouteSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
