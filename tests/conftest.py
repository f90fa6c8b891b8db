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
    result = run_cli("audit", demo_store.url, "--config", str(DEMO_CONFIG), "--db", str(folder / "audit.db"),
                     "--format", "json", "--output", "-", "--as-of", "2026-11-25")
    assert result.code in (0, 1), result.stderr
    data = result.json()
    data["_exit_code"] = result.code
    data["_db"] = str(folder / "audit.db")
    return data
