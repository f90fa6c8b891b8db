"""Every check proves itself on a bad and a good example (tests/fixtures/checks/CODE/).

Page checks: ``bad.html`` must make the check report, ``good.html`` must not (it holds the
near misses: prose that looks like the defect). ``meta.json`` gives the page's URL and the
audit date. Site checks: ``bad/`` and ``good/`` are small sites; ``site.json`` maps each file
to its URL path and may give Last-Modified headers, sitemap lastmods and ``fetches`` of URLs
that are no page (``{"/gone": {"status": 404}}``). The pages are parsed
by the crawler's own parser and stored with the pipeline's own rows, then the check runs on
that database.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import checks  # noqa: F401  (registers every check)
from checks.context import PageContext, RunContext
from checks.registry import REGISTRY, Check, checks_of_kind
from config import load_config
from crawler.extract import parse_page
from crawler.pipelines import link_rows, page_row
from storeaudit.store import create_run, insert_rows, open_db

FIXTURES = Path(__file__).parent / "fixtures" / "checks"
ORIGIN = "https://shop.example"
DEFAULT_AS_OF = "2026-11-25"
CONFIG = load_config()


def _meta(folder: Path, name: str) -> dict:
    path = folder / name
    return json.loads(path.read_text()) if path.exists() else {}


def run_page_check(check: Check, html: Path) -> list:
    meta = _meta(html.parent, "meta.json")
    page = parse_page(meta.get("url", f"{ORIGIN}/page"), html.read_bytes(), encoding="utf-8",
                      headers=meta.get("headers", {}))
    context = PageContext(as_of=date.fromisoformat(meta.get("as_of", DEFAULT_AS_OF)),
                          site_hosts=frozenset({"shop.example"}), config=CONFIG)
    return list(check.func(page, check.make_options(CONFIG.check_settings(check.code)), context))


def run_site_check(check: Check, folder: Path, tmp_path: Path) -> list:
    site = _meta(folder, "site.json")
    db = open_db(tmp_path / f"{check.code}-{folder.name}.db")
    run_id = create_run(db, start_url=ORIGIN + "/", site="shop.example", as_of=site.get("as_of", DEFAULT_AS_OF),
                        settings={})
    with db.conn:
        for file, path in site["pages"].items():
            page = parse_page(ORIGIN + path, (folder / file).read_bytes(), encoding="utf-8")
            db["pages"].insert(page_row(run_id, page))
            insert_rows(db, "links", link_rows(run_id, page))
            db["fetches"].insert({"run_id": run_id, "url": page.url, "method": "GET", "status": 200, "error": "",
                                  "skipped": "", "last_modified": site.get("last_modified", {}).get(path, "")})
        for path, fetch in site.get("fetches", {}).items():  # URLs that are no page: errors, redirects
            db["fetches"].insert({"run_id": run_id, "url": ORIGIN + path, "method": "GET", "error": "", "skipped": "",
                                  "last_modified": "", **fetch}, replace=True)
        db["sitemap_entries"].insert_all({"run_id": run_id, "url": ORIGIN + p, "lastmod": m}
                                         for p, m in site.get("sitemap", {}).items())
    run = RunContext(db=db, run_id=run_id, config=CONFIG, site_hosts={"shop.example"},
                     as_of=date.fromisoformat(site.get("as_of", DEFAULT_AS_OF)))
    return list(check.func(run, check.make_options(CONFIG.check_settings(check.code))))


PAGE_CHECKS = [c for c in checks_of_kind("page") if (FIXTURES / c.code).is_dir()]
SITE_CHECKS = [c for c in checks_of_kind("site") if (FIXTURES / c.code).is_dir()]


@pytest.mark.parametrize("check", PAGE_CHECKS, ids=lambda c: c.code)
def test_page_check_fires_on_bad_and_not_on_good(check):
    bad = run_page_check(check, FIXTURES / check.code / "bad.html")
    assert bad, f"{check.code} did not report its bad example"
    assert {f.code for f in bad} == {check.code}
    for f in bad:
        assert f.message and f.evidence.get("element") and f.evidence.get("region")
    good = run_page_check(check, FIXTURES / check.code / "good.html")
    assert not good, [(f.message, f.evidence) for f in good]


@pytest.mark.parametrize("check", SITE_CHECKS, ids=lambda c: c.code)
def test_site_check_fires_on_bad_and_not_on_good(check, tmp_path):
    bad = run_site_check(check, FIXTURES / check.code / "bad", tmp_path)
    assert bad, f"{check.code} did not report its bad example"
    assert {f.code for f in bad} == {check.code}
    expected = _meta(FIXTURES / check.code / "bad", "site.json").get("expect_pages")
    if expected:
        assert sorted({f.page.removeprefix(ORIGIN) for f in bad}) == sorted(expected)
    good = run_site_check(check, FIXTURES / check.code / "good", tmp_path)
    assert not good, [(f.page, f.message) for f in good]


def test_every_check_has_a_fixture_pair_or_a_demo_case(ground_truth):
    planted = {d["code"] for d in ground_truth["defects"]}
    flow_tests = (Path(__file__).parent / "test_flows.py").read_text()
    for code, check in REGISTRY.items():
        if check.kind == "flow":  # flow checks are proven on stored step logs in test_flows.py
            assert f'"{code}"' in flow_tests or code in planted, f"{code} has no test in test_flows.py"
            continue
        folder = FIXTURES / code
        if check.kind == "page" and (folder / "bad.html").exists():
            assert (folder / "good.html").exists(), f"{code}: bad.html without good.html"
            continue
        if check.kind == "site" and (folder / "bad").is_dir():
            assert (folder / "good").is_dir(), f"{code}: bad/ without good/"
            continue
        assert code in planted, f"{code} has neither a fixture pair nor a planted demo case"


def test_page_age_can_differ_per_url_pattern():
    from checks.stale import PageAgeOptions

    options = PageAgeOptions(urls=("/news/**=90", "/blog/**"), max_age_days=365)
    assert options.max_age(ORIGIN + "/news/opening") == 90
    assert options.max_age(ORIGIN + "/blog/post") == 365
    assert options.max_age(ORIGIN + "/product/kettle") is None  # not checked


def test_an_older_database_gets_the_new_page_columns(tmp_path):
    import sqlite_utils

    old = sqlite_utils.Database(tmp_path / "old.db")
    old["pages"].create({"run_id": int, "url": str, "status": int, "title": str}, pk=("run_id", "url"))
    old["pages"].insert({"run_id": 1, "url": ORIGIN + "/", "status": 200, "title": "Home"})
    old.close()
    db = open_db(tmp_path / "old.db")
    assert {"description", "availability", "copyright_year", "modified", "promo_links"} <= set(db["pages"].columns_dict)
    assert db["sitemap_entries"].exists()
    assert db["pages"].get((1, ORIGIN + "/"))["title"] == "Home"
