"""An audit of the demo store finds every planted defect, right team and category, and
reports none of the planted non-defects. Ground truth: storeaudit/demo/ground_truth.json."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from storeaudit.demo import GROUND_TRUTH_PATH
import json

GROUND_TRUTH = json.loads(GROUND_TRUTH_PATH.read_text())
FINDING_KEYS = {"code", "category", "team", "severity", "page", "target", "message", "evidence", "group",
                "template", "fingerprint"}


def path_of(url: str, store_origin: str, external_origin: str) -> str:
    if url.startswith(external_origin):
        return "__EXTERNAL__" + url[len(external_origin):]
    parts = urlsplit(url)
    out = parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    return out


@pytest.fixture(scope="module")
def findings(demo_audit, demo_store):
    out = []
    for f in demo_audit["findings"]:
        out.append({**f, "page_path": path_of(f["page"], demo_store.origin, demo_store.external_origin),
                    "target_path": path_of(f["target"], demo_store.origin, demo_store.external_origin)
                    if f["target"] else ""})
    return out


def matches_defect(f: dict, defect: dict) -> bool:
    """A finding is the planted defect: same code and target, and same page unless the defect
    is on every page. Text findings have no target and are matched by code and page."""
    if f["code"] != defect["code"] or f["target_path"] != defect["target"]:
        return False
    return defect["page"] is None or f["page_path"] == defect["page"]


def matches_non_defect(f: dict, case: dict) -> bool:
    if case["target"] and (f["target_path"] == case["target"] or f["target"] == case["target"]):
        return True
    return f["code"] in case.get("codes", ()) and f["page_path"] in case["pages"]


@pytest.mark.parametrize("defect", GROUND_TRUTH["defects"], ids=lambda d: d["id"])
def test_every_planted_defect_is_found_for_the_right_team(defect, findings):
    matches = [f for f in findings if matches_defect(f, defect)]
    assert matches, f"{defect['id']} not reported"
    for f in matches:
        assert f["category"] == defect["category"]
        assert f["team"] == defect["team"]
        assert f["template"] == defect["template"]


def test_a_template_defect_is_one_group_with_every_page(findings, ground_truth):
    footer = [f for f in findings if f["target_path"] == "/stores/locator"]
    assert len({f["group"] for f in footer}) == 1
    assert {f["page_path"] for f in footer} >= set(ground_truth["pages"])


@pytest.mark.parametrize("case", GROUND_TRUTH["non_defects"], ids=lambda d: d["id"])
def test_no_planted_non_defect_is_reported(case, findings):
    reported = [f for f in findings if matches_non_defect(f, case)]
    assert not reported, reported


def test_nothing_but_planted_defects_is_reported(findings, ground_truth):
    extra = [f for f in findings if not any(matches_defect(f, d) for d in ground_truth["defects"])]
    assert not extra, extra


def test_each_text_defect_is_reported_once_per_page(findings, ground_truth):
    for defect in ground_truth["defects"]:
        if defect["page"] is not None and not defect["target"]:
            same = [f for f in findings if matches_defect(f, defect)]
            assert len({f["group"] for f in same}) == 1, same


def test_checkout_flows_ran_and_placed_no_order(demo_audit, demo_store, ground_truth):
    import sqlite3

    db = sqlite3.connect(demo_audit["_db"])
    outcomes = dict(db.execute("select page, outcome from flows where run_id = ?", [demo_audit["run"]["id"]]))
    sold_out = {"/product/enamel-colander"}  # no flow starts on a product that cannot be bought
    products = {p for p in ground_truth["pages"] if p.startswith("/product/")} - sold_out
    assert {urlsplit(p).path for p in outcomes} == products  # max_flows 12 in the demo config: all of them
    broken = {d["page"] for d in ground_truth["defects"] if d["category"] == "checkout"}
    for page, outcome in outcomes.items():
        assert outcome == ("failed" if urlsplit(page).path in broken else "reached-checkout"), page
    assert _count(demo_audit, "/basket/add", "POST") == 0  # the crawl itself never submits the form
    assert ("POST", "/basket/add") in demo_store.flow_requests
    assert demo_store.orders == 0


def _count(demo_audit, path: str, method: str) -> int:
    """Requests the shared demo audit made for ``path`` (the store also serves other tests' audits)."""
    return sum(1 for m, p in demo_audit["_requests"] if m == method and p.split("?", 1)[0] == path)


def test_robots_disallowed_url_is_never_requested(demo_audit, demo_store):
    assert demo_store.count("/private/report") == 0


def test_the_crawler_never_posts(demo_audit, demo_store):
    assert not [r for r in demo_store.requests if r[0] not in ("GET", "HEAD")]


def test_each_url_is_fetched_once_per_run(demo_audit):
    # The size guide is linked from every product page; HEAD is refused, GET works: 2 requests.
    assert _count(demo_audit, "/downloads/size-guide.pdf", "HEAD") == 1
    assert _count(demo_audit, "/downloads/size-guide.pdf", "GET") == 1
    assert _count(demo_audit, "/product/copper-kettle", "GET") == 1


def test_sitemap_only_pages_are_crawled(findings):
    assert any(f["page_path"] == "/product/hidden-gem" for f in findings)


def test_json_output_keeps_the_contract(demo_audit):
    run = demo_audit["run"]
    assert set(run) == {"id", "start_url", "status", "started_at", "finished_at", "pages", "fetches"}
    assert run["status"] == "complete"
    assert run["pages"] == len(GROUND_TRUTH["pages"])
    for f in demo_audit["findings"]:
        assert set(f) == FINDING_KEYS
        assert f["severity"] in ("error", "warning", "notice")
        assert f["team"] in ("content", "it", "marketing")  # the demo config adds marketing


def test_every_finding_says_where_and_what(demo_audit):
    for f in demo_audit["findings"]:
        assert f["page"].startswith("http")
        assert f["message"]
        assert f["evidence"].get("region") in ("main", "header", "nav", "footer", "aside", "head")
        assert f["evidence"].get("element")
    kettle = next(f for f in demo_audit["findings"] if f["target"].endswith("/product/discontinued-teapot"))
    assert kettle["evidence"] == {"element": "a", "region": "main", "status": 404, "text": "Matching teapot"}


def test_redirect_findings_show_the_chain(demo_audit):
    chain = next(f for f in demo_audit["findings"] if f["target"].endswith("/hop/1"))
    assert len(chain["evidence"]["redirects"]) == 6


def test_fail_on_error_exits_1_when_errors_were_found(demo_audit):
    assert demo_audit["_exit_code"] == 1


def test_the_database_file_holds_the_whole_audit_when_it_exits(demo_audit):
    """Copying storeaudit.db alone copies every row: the audit closes its connections, so
    SQLite folds its write-ahead log into the file and removes it."""
    assert "audit.db" in demo_audit["_db_files"]
    assert "audit.db-wal" not in demo_audit["_db_files"]
