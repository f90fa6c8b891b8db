"""A small audit database built row by row: two runs of https://shop.test/ with known findings.

Reports render from the database alone, so golden-file tests and the browser test can use it
without crawling. Crawled strings include HTML, Markdown and CSV specials on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlite_utils

from checks.registry import REGISTRY
from storeaudit.fingerprint import fingerprint
from storeaudit.store import create_run, finish_run_row, open_db

SITE = "shop.test"
ORIGIN = "https://shop.test"
EVIL_TITLE = '<script>window.__pwned = "title"</script> Winter sale | Shop'
EVIL_TEXT = '<img src=x onerror="window.__pwned=\'text\'"> *Gift* | cards, "50%"'
SETTINGS = {"report.teams": ["content", "it"], "crawl.max_pages": 100, "crawl.respect_robots": True,
            "ignore": [{"reason": "Partner moves its recipes in spring", "fingerprint": "", "code": "LINK002",
                        "url": "/blog/**"}]}

PAGES = {"/": "Home | Shop", "/sale/": EVIL_TITLE, "/product/kettle": "Copper kettle | Shop",
         "/blog/pour-over": "Pour-over coffee | Shop"}

# (code, page, target, message, evidence, region, template, runs)
FINDINGS: list[tuple[str, str, str, str, dict[str, Any], str, bool, tuple[int, ...]]] = [
    *[("LINK001", page, "/stores/locator", "Link to a store page that fails: 404 Not Found",
       {"status": 404, "element": "a", "text": "Find a store", "region": "footer"}, "footer", True, (1, 2))
      for page in PAGES],
    ("LINK001", "/product/kettle", "/product/teapot", "Link to a store page that fails: 404 Not Found",
     {"status": 404, "element": "a", "text": "Matching teapot", "region": "main"}, "main", False, (1,)),
    ("LINK001", "/sale/", "/gift-cards?b=2&a=1", "Link to a store page that fails: 404 Not Found",
     {"status": 404, "element": "a", "text": EVIL_TEXT, "region": "main"}, "main", False, (2,)),
    ("IMG001", "/product/kettle", "/img/kettle-side.jpg", "Image that fails to load: 404 Not Found",
     {"status": 404, "element": "img", "text": "Kettle from the side", "region": "main"}, "main", False, (1, 2)),
    ("LINK004", "/product/kettle", "/delivery#express", "Link to section #express, which the page does not have",
     {"element": "a", "text": "delivery options", "region": "main"}, "main", False, (2,)),
    ("LINK002", "/blog/pour-over", "https://partner.test/recipes", "Link to another site that fails: 404 Not Found",
     {"status": 404, "element": "a", "text": "recipes", "region": "main"}, "main", False, (1, 2)),
]
TIMES = {1: ("2026-11-18T06:00:00+00:00", "2026-11-18T06:04:10+00:00"),
         2: ("2026-11-25T06:00:00+00:00", "2026-11-25T06:03:55+00:00")}


def build(path: str | Path) -> sqlite_utils.Database:
    db = open_db(path)
    for run in (1, 2):
        run_id = create_run(db, start_url=ORIGIN + "/", site=SITE, as_of=TIMES[run][0][:10], settings=SETTINGS)
        assert run_id == run
        db["pages"].insert_all({"run_id": run, "url": ORIGIN + p, "status": 200, "depth": 1, "title": t,
                                "lang": "en", "ids": "[]", "via": ""} for p, t in PAGES.items())
        rows = []
        for code, page, target, message, evidence, region, template, runs in FINDINGS:
            if run not in runs:
                continue
            check = REGISTRY[code]
            team = "it" if template else check.team
            full_target = target if target.startswith("http") else ORIGIN + target
            rows.append({"run_id": run, "code": code, "category": check.category, "team": team,
                         "severity": check.severity, "page": ORIGIN + page, "target": full_target,
                         "message": message, "evidence": json.dumps(evidence), "grp": full_target,
                         "region": region, "status_class": "4xx", "own_host": 1, "template": int(template),
                         "fingerprint": fingerprint(code, ORIGIN + page, full_target, frozenset({SITE}))})
        db["findings"].insert_all(rows)
        finish_run_row(db, run, status="complete")
        db["runs"].update(run, {"started_at": TIMES[run][0], "finished_at": TIMES[run][1]})
    return db
