"""History: two audits of the demo store, changed between them (one defect fixed, one added,
one changed only cosmetically), compared by fingerprint with `storeaudit diff`, the reports
and the --fail-on-new gate."""

from __future__ import annotations

import json

from conftest import run_cli


def by_target(findings, suffix):
    return [f for f in findings if f["target"].endswith(suffix)]


def test_diff_lists_new_fixed_and_still_open_per_team(store_history):
    result = run_cli("diff", "--db", store_history["db"], "--json")
    assert result.code == 0, result.stderr
    diff = json.loads(result.stdout)
    assert (diff["a"], diff["b"]) == (1, 2)
    content = diff["teams"]["content"]
    assert [e["target"].rsplit("/", 1)[-1] for e in content["new"]] == ["returns-form"]
    assert [e["target"].rsplit("/", 1)[-1] for e in content["fixed"]] == ["discontinued-teapot"]
    assert diff["teams"]["it"]["new"] == diff["teams"]["it"]["fixed"] == []
    # the footer template defect: one fingerprint per page, all still open
    footer = [e for e in diff["teams"]["it"]["open"] if e["target"].endswith("/stores/locator")]
    assert len(footer) == json.loads(run_cli("report", "--db", store_history["db"], "--format", "json").stdout)["run"]["pages"]


def test_fingerprints_survive_a_cosmetic_change_between_audits(store_history):
    before = by_target(store_history["first_json"]["findings"], "/care-guide")
    after = by_target(store_history["second_json"]["findings"], "/care-guide/")
    assert len(before) == len(after) == 1
    assert before[0]["target"] != after[0]["target"]  # the URL did change: a trailing slash
    assert before[0]["fingerprint"] == after[0]["fingerprint"]
    diff = json.loads(run_cli("diff", "--db", store_history["db"], "1", "2", "--json").stdout)
    assert before[0]["fingerprint"] in {e["fingerprint"] for e in diff["teams"]["content"]["open"]}


def test_diff_text_output_names_teams_and_states(store_history):
    result = run_cli("diff", "--db", store_history["db"], "--team", "content")
    assert result.code == 0, result.stderr
    assert "content: 1 new, 1 fixed," in result.stdout
    assert "it:" not in result.stdout
    new = [line for line in result.stdout.splitlines() if line.strip().startswith("new ")]
    assert len(new) == 1 and "/returns-form" in new[0]


def test_diff_needs_two_complete_audits(tmp_path, store_history):
    result = run_cli("diff", "--db", store_history["db"], "2")
    assert result.code == 2 and "RUN_A and RUN_B" in result.stderr
    result = run_cli("diff", "--db", str(tmp_path / "none.db"))
    assert result.code == 2 and "none.db" in result.stderr


def test_fail_on_new_fails_only_on_the_new_defect(store_history):
    second = store_history["second"]
    assert second.code == 1, second.stderr
    assert "Failing: 1 defect at or above warning new since run #1" in second.stderr
    assert "1 new since run #1, 1 fixed" in second.stderr


def test_reports_show_what_is_new_and_fixed(store_history):
    md = run_cli("report", "--db", store_history["db"], "--format", "markdown").stdout
    assert "**New since run #1** (1, fixed: 1)" in md
    assert "/returns-form" in md
    html = run_cli("report", "--db", store_history["db"], "--format", "html", "-o", "-").stdout
    assert "New since run #1: 1" in html and "Fixed since run #1: 1" in html
    assert "<svg" in html  # the trend chart, once there are two audits
    rows = run_cli("report", "--db", store_history["db"], "--format", "csv").stdout.splitlines()
    new_rows = [r for r in rows if ",yes," in r and "returns-form" in r]
    assert len(new_rows) == 1


def test_baseline_file_and_ignore_keep_the_gate_green(store_history, tmp_path):
    """Re-gate the second run: against itself as baseline nothing is new; the new defect,
    once ignored, no longer counts and is listed as ignored instead."""
    import shutil

    db = tmp_path / "copy.db"
    shutil.copy(store_history["db"], db)
    new_fp = by_target(store_history["second_json"]["findings"], "/returns-form")[0]["fingerprint"]
    assert run_cli("ignore", new_fp, "--db", str(db)).code == 2  # a reason is required
    result = run_cli("ignore", new_fp, "--db", str(db), "--reason", "form page launches next week")
    assert result.code == 0, result.stderr
    assert new_fp in run_cli("ignore", "--list", "--db", str(db)).stdout
    report = run_cli("report", "--db", str(db), "--format", "json").json()
    assert new_fp not in {f["fingerprint"] for f in report["findings"]}
    html = run_cli("report", "--db", str(db), "--format", "html", "-o", "-").stdout
    assert "Ignored findings (1)" in html and "form page launches next week" in html
    csv_rows = [r for r in run_cli("report", "--db", str(db), "--format", "csv").stdout.splitlines()
                if new_fp in r]
    assert len(csv_rows) == 1 and csv_rows[0].endswith("form page launches next week")
    assert run_cli("ignore", "0000000000000000", "--reason", "x", "--db", str(db)).code == 2
