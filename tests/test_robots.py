"""robots.txt holds for every request to a host, also those sent while its robots.txt loads."""

from __future__ import annotations

import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import run_cli

CLOSED = [f"/closed/{n}" for n in range(8)]


class _Site:
    """A server on 127.0.0.1 with fixed routes that records every path it is asked for."""

    def __init__(self, routes: dict[str, tuple[str, bytes]]):
        self.routes = routes
        self.paths: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                site.paths.append(self.path)
                ctype, body = site.routes.get(self.path, ("text/plain", b""))
                self.send_response(200 if self.path in site.routes else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(body)

            do_HEAD = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> _Site:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_links_to_a_host_whose_robots_txt_is_loading_are_all_held_to_it(tmp_path):
    # The store's page links eight disallowed URLs on another host at once: one of them sets
    # off the partner's robots.txt and the other seven wait for it.
    partner = _Site({"/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /closed/\n")})
    with partner:
        page = "".join(f"<a href='{partner.url}{path}'>partner {path}</a>" for path in CLOSED)
        store = _Site({"/": ("text/html", f"<html><body><main>{page}</main></body></html>".encode()),
                       "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n")})
        with store:
            cfg = tmp_path / "audit.toml"
            cfg.write_text("[crawl]\nuse_sitemaps = false\nconcurrency = 16\n")
            result = run_cli("audit", store.url + "/", "--config", str(cfg), "--db", str(tmp_path / "a.db"),
                             "--format", "json", "-o", str(tmp_path / "r.json"), timeout=120)
    assert result.code == 0, result.stderr
    assert [p for p in partner.paths if p.startswith("/closed/")] == []
    with sqlite3.connect(tmp_path / "a.db") as db:
        skipped = dict(db.execute("select url, skipped from fetches where url like '%/closed/%'").fetchall())
    assert skipped == {partner.url + path: "robots" for path in CLOSED}
