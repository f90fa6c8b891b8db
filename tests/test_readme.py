"""README's two commands work: the demo writes the report and database it promises."""

from __future__ import annotations

import re
import shlex
import sqlite3

from conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text()
COMMANDS = re.findall(r"```sh\n(pip install[^\n]*)\n```", README)


def test_readme_has_exactly_two_setup_commands():
    assert len(COMMANDS) == 2
    assert "storeaudit demo" in COMMANDS[0]
    assert "pytest" in COMMANDS[1]


def test_ci_runs_the_readme_test_command():
    assert COMMANDS[1] in (ROOT / ".ci" / "run").read_text()


def test_the_demo_command_writes_the_report_and_database(tmp_path):
    demo = COMMANDS[0].split("&&", 1)[1].strip()
    args = shlex.split(demo)
    assert args[0] == "storeaudit"
    result = run_cli(*args[1:], cwd=tmp_path)
    assert result.code == 0, result.stderr
    report = tmp_path / "storeaudit-demo" / "report.html"
    db = tmp_path / "storeaudit-demo" / "storeaudit.db"
    assert str(report) in result.stderr and str(db) in result.stderr
    html = report.read_text()
    assert "Content team" in html and "IT / developers" in html
    with sqlite3.connect(db) as conn:
        assert conn.execute("select status from runs").fetchone() == ("complete",)
        assert conn.execute("select count(*) from findings").fetchone()[0] > 10
