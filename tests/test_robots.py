"""robots.txt holds for every request to a host, also those sent while its robots.txt loads."""

from __future__ import annotations

import sqlite3

from conftest import run_cli
from route_site import RouteSite

CLOSED = [f"/closed/{n}" for n in range(8)]


def test_links_to_a_host_whose_robots_txt_is_loading_are_all_held_to_it(tmp_path):
    # The store's page links eight disallowed URLs on another host at once: one of them sets
    # off the partner's robots.txt and the other seven wait for it.
    partner = RouteSite({"/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /closed/\n")})
    with partner:
        page = "".join(f"<a href='{partner.url}{path}'>partner {path}</a>" for path in CLOSED)
        store = RouteSite({"/": ("text/html", f"<html><body><main>{page}</main></body></html>".encode()),
                           "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n")})
        with store:
            cfg = tmp_path / "audit.toml"
            cfg.write_text("[crawl]\nuse_sitemaps = false\nconcurrency = 16\n")
            result = run_cli("audit", store.url + "/", "--config", str(cfg), "--db", str(tmp_path / "a.db"),
                             "--format", "json", "-o", str(tmp_path / "r.json"), timeout=120)
    assert result.code == 0, result.stderr
    assert [p for _, p in partner.requests if p.startswith("/closed/")] == []
    with sqlite3.connect(tmp_path / "a.db") as db:
        skipped = dict(db.execute("select url, skipped from fetches where url like '%/closed/%'").fetchall())
    assert skipped == {partner.url + path: "robots" for path in CLOSED}
