"""Shared fixtures: the demo store on 127.0.0.1 and a way to run the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from storeaudit.demo import DEMO_CONFIG, GROUND_TRUTH_PATH
from storeaudit.demo.server import DemoServer

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 180, env: dict[str, str] | None = None) -> CliResult:
    """Run `storeaudit ARGS` in a fresh process, as a user or a CI job would."""
    # PYTHONPATH pins the code under test: this checkout, whatever is pip-installed.
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "storeaudit.cli", *args], cwd=cwd or ROOT, capture_output=True,
                          text=True, timeout=timeout, env=environ)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def ground_truth() -> dict[str, Any]:
    return json.loads(GROUND_TRUTH_PATH.read_text())


@pytest.fixture(scope="session")
def demo_store():
    with DemoServer() as server:
        yield server


@pytest.fixture(scope="session")
def demo_audit(demo_store, tmp_path_factory) -> dict[str, Any]:
    """One JSON audit of the demo store, shared by the tests that read its findings."""
    folder = tmp_path_factory.mktemp("demo-audit")
    state = folder / "state"  # where Scrapy and other tools would leave files of their own (XDG)
    before = len(demo_store.requests)  # the store is shared: other tests' audits hit it too
    result = run_cli("audit", demo_store.url, "--config", str(DEMO_CONFIG), "--db", str(folder / "audit.db"),
                     "--format", "json", "--output", "-", "--as-of", "2026-11-25", env={"XDG_STATE_HOME": str(state)})
    assert result.code in (0, 1), result.stderr
    data = result.json()
    data["_state_files"] = sorted(str(p.relative_to(state)) for p in state.rglob("*"))
    data["_exit_code"] = result.code
    data["_requests"] = demo_store.requests[before:]  # (method, path) of each request this audit made
    data["_db"] = str(folder / "audit.db")
    data["_db_files"] = sorted(p.name for p in folder.glob("audit.db*"))  # as the audit left them
    return data


def change_store(site: Path) -> None:
    """Between two audits: fix one defect, add one, and make a cosmetic change to a third."""
    kettle = site / "product" / "copper-kettle.html"
    kettle.write_text(kettle.read_text().replace('href="/product/discontinued-teapot"', 'href="/product/chef-knife"'))
    returns = site / "returns.html"
    returns.write_text(returns.read_text().replace(
        "  </main>", '    <p>Print our <a href="/returns-form">returns form</a>.</p>\n  </main>', 1))
    gem = site / "product" / "hidden-gem.html"  # trailing slash and link-text whitespace only
    gem.write_text(gem.read_text().replace('<a href="/care-guide">care instructions</a>',
                                           '<a href="/care-guide/">care\n   instructions</a>'))


@pytest.fixture(scope="session")
def store_history(tmp_path_factory) -> dict[str, Any]:
    """Two audits of a copy of the demo store, changed between them (see :func:`change_store`),
    in one database; the second is gated with --fail-on-new."""
    import shutil

    from storeaudit.demo import SITE_DIR

    folder = tmp_path_factory.mktemp("history")
    site = folder / "site"
    shutil.copytree(SITE_DIR, site)
    db = folder / "audit.db"
    common = ("--config", str(DEMO_CONFIG), "--db", str(db), "--as-of", "2026-11-25")
    with DemoServer(site_dir=site) as server:
        first = run_cli("audit", server.url, *common, "--format", "json", "--output", str(folder / "first.json"))
        change_store(site)
        second = run_cli("audit", server.url, *common, "--format", "json", "--output", str(folder / "second.json"),
                         "--fail-on-new", "--fail-on", "warning")
        origin = server.origin
    assert first.code == 1 and second.code in (0, 1), (first.stderr, second.stderr)
    return {"db": str(db), "folder": folder, "first": first, "second": second, "origin": origin,
            "first_json": json.loads((folder / "first.json").read_text()),
            "second_json": json.loads((folder / "second.json").read_text())}
