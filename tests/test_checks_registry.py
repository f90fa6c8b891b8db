"""Every check is documented, has a stable unique code, and is listed by the CLI."""

from __future__ import annotations

import re

import pytest

from checks.registry import CATEGORIES, REGISTRY, SEVERITIES, site_check
from conftest import run_cli


@pytest.mark.parametrize("check", REGISTRY.values(), ids=lambda c: c.code)
def test_every_check_is_documented(check):
    assert re.fullmatch(r"[A-Z]+\d{3}", check.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", check.name), "name the problem, kebab-case"
    assert check.category in CATEGORIES
    assert check.severity in SEVERITIES
    assert check.team in ("content", "it", "marketing")
    assert len(check.explanation) > 60, "say what it finds and why a shopper is hurt"
    assert len(check.fix) > 40, "say how to fix it"


def test_a_code_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="already taken"):
        site_check("LINK001", "another-thing", category="broken-link", severity="error", team="it",
                   title="x")(lambda run, options: [])


def test_checks_command_lists_every_code():
    result = run_cli("checks")
    assert result.code == 0
    for code in REGISTRY:
        assert code in result.stdout


def test_explain_prints_the_documentation():
    result = run_cli("explain", "link004")
    assert result.code == 0
    assert "missing-fragment-target" in result.stdout
    assert "Add the id" in result.stdout
    assert "ignore" in result.stdout  # the check's options are listed


@pytest.mark.parametrize("command", ["audit", "report", "checks", "explain", "demo", "config"])
def test_every_command_has_help(command):
    result = run_cli(command, "--help")
    assert result.code == 0
    assert "Example" in result.stdout or command == "config"


def test_docs_checks_md_is_current():
    from checks.docs import checks_markdown
    from conftest import ROOT

    assert (ROOT / "docs" / "checks.md").read_text() == checks_markdown(), \
        "regenerate: storeaudit checks --markdown > docs/checks.md"
