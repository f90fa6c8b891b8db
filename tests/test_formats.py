"""Golden-file tests of the CSV, JUnit and Markdown formatters over a database built row by row
(tests/reportdb.py). Regenerate after an intended change with UPDATE_GOLDEN=1 and review the diff."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import reportdb
from checks.registry import REGISTRY
from reports import FORMATS, render
from reports.model import load_report
from storeaudit.gates import failing_groups

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return reportdb.build(tmp_path_factory.mktemp("formats") / "report.db")


def golden(name: str, text: str) -> str:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


def test_every_format_has_one_formatter():
    assert set(FORMATS) == {"html", "json", "csv", "junit", "markdown"}


def test_csv_matches_golden_file(db):
    text = render(db, "csv")
    assert text == golden("report.csv", text)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 8  # one row per instance: 4 footer pages, 3 more defects, 1 ignored
    evil = next(r for r in rows if r["text"] == reportdb.EVIL_TEXT)
    assert evil["page_title"] == reportdb.EVIL_TITLE and evil["new"] == "yes"
    assert rows[-1]["ignored"] == "Partner moves its recipes in spring"


def test_json_written_piece_by_piece_is_what_json_dumps_writes_whole(tmp_path):
    db = reportdb.build(tmp_path / "report.db")
    row = dict(next(db.query("select * from findings where run_id = 2 and code = 'LINK004'")))
    tricky = 'two\u2028lines\nand \u00e9 "quoted"'
    row.update(page=reportdb.ORIGIN + "/sale/", fingerprint="f" * 16, evidence=json.dumps({"text": tricky}))
    db["findings"].insert({k: v for k, v in row.items() if k != "id"})
    text = render(db, "json")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    assert tricky in [f["evidence"].get("text") for f in json.loads(text)["findings"]]
    empty = render(db, "json", team="nobody")
    assert empty == json.dumps(json.loads(empty), indent=2, ensure_ascii=False) + "\n"
    assert json.loads(empty)["findings"] == []


def test_junit_matches_golden_file_and_lists_every_check_per_team(db):
    text = render(db, "junit")
    root = ET.fromstring(text.encode("utf-8"))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["storeaudit.content", "storeaudit.it"]
    for suite in suites:
        assert len(suite.findall("testcase")) == int(suite.get("tests")) == len(REGISTRY)
    failing = [{"suite": s.get("name"), "case": c.get("name"), "type": f.get("type"),
                "message": f.get("message"), "text": f.text}
               for s in suites for c in s.findall("testcase") for f in c.findall("failure")]
    assert int(root.get("failures")) == len(failing) == 4
    expected = json.dumps(failing, indent=2, ensure_ascii=False) + "\n"
    assert expected == golden("junit-failures.json", expected)


def test_markdown_matches_golden_file(db):
    text = render(db, "markdown")
    assert text == golden("summary.md", text)
    assert "<script>" not in text and "<img" not in text  # crawled HTML is escaped


def test_a_defect_knows_its_pages_and_reads_its_instances_from_the_database(tmp_path):
    db = reportdb.build(tmp_path / "report.db")
    data = load_report(db)
    footer = next(g for g in data.groups if g.target.endswith("/stores/locator"))
    assert (footer.pages, footer.count, footer.text, footer.new) == (4, 4, "Find a store", False)
    stored = [r[0] for r in db.execute("select page from findings where run_id = 2 and target = ? order by page",
                                       [footer.target])]
    assert [i.page for i in footer.instances] == stored
    assert [i.page for i in footer.first(2)] == stored[:2] and list(footer.each(batch=3)) == footer.instances
    with db.conn:  # a row gone since the report was loaded is left out, not an error
        db.execute("delete from findings where run_id = 2 and page = ?", [stored[0]])
    assert [i.page for i in footer.instances] == stored[1:]


def test_team_filter_keeps_only_that_team(db):
    data = load_report(db, team="content")
    assert data.teams == ["content"] and {g.team for g in data.groups} == {"content"}
    html = render(db, "html", team="content")
    assert 'id="team-it"' not in html and 'id="team-content"' in html


def test_gates_fail_on_severity_baseline_and_skip_ignored(db):
    data = load_report(db)
    assert {g.code for g in failing_groups(data, fail_on="error")} == {"LINK001", "IMG001"}
    assert {g.code for g in failing_groups(data, fail_on="warning")} == {"LINK001", "IMG001", "LINK004"}
    # against the previous run only the new gift-card link (error) is new; LINK004 is a warning
    before = {r[0] for r in db.execute("select fingerprint from findings where run_id = 1")}
    new = failing_groups(data, fail_on="error", baseline=before)
    assert [g.target for g in new] == ["https://shop.test/gift-cards?b=2&a=1"]
    assert [g.code for g in failing_groups(data, fail_on="notice", baseline=before)] == ["LINK001", "LINK004"]
    # the ignored LINK002 counts nowhere, at any level
    assert all(g.code != "LINK002" for g in failing_groups(data, fail_on="notice"))
    assert [g.code for g in data.ignored] == ["LINK002"]


def test_an_interrupted_run_with_limits_says_so_everywhere(tmp_path):
    db = reportdb.build(tmp_path / "interrupted.db")
    db["runs"].update(2, {"status": "interrupted", "message": "the crawl was stopped early (shutdown)",
                          "limits_hit": json.dumps({"max_pages": 17})})
    html = render(db, "html")
    assert 'class="banner interrupted"' in html and "the crawl was stopped early (shutdown)" in html
    assert 'class="banner limits"' in html and "crawl.max_pages (checked, not crawled): 17 URLs held back" in html
    md = render(db, "markdown")
    assert "**Warning: this audit was interrupted**" in md and "max\\_pages (17)" in md
    # an interrupted run is no baseline: a later report compares with the last complete one
    assert load_report(db, 2).previous["id"] == 1


def test_the_html_report_renders_whatever_its_template_cache_can_do(db, tmp_path, monkeypatch):
    """Compiled templates are kept between audits; a cache folder that is gone, or holds a
    damaged file, only costs the compiling again."""
    from jinja2.bccache import bc_magic

    from reports import html_report

    expected = render(db, "html")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "x.cache").write_bytes(bc_magic + b"\x80not a pickle")  # each template finds this
    for folder in (tmp_path / "gone", damaged):
        cache = html_report.TemplateCache(str(folder))
        monkeypatch.setattr(cache, "_get_cache_filename", lambda bucket, folder=folder: str(folder / "x.cache"))
        env = html_report._env.overlay(bytecode_cache=cache)
        env.cache = None  # every template is looked up in the bytecode cache
        monkeypatch.setattr(html_report, "_env", env)
        assert render(db, "html") == expected
