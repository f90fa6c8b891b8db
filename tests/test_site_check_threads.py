"""Site checks on threads (checks/runner.py, checks/site_threads.py): the findings and their order are those of one
thread, memory stays bounded, and a failing or abandoned run leaves nothing behind."""

from __future__ import annotations

import dataclasses
import threading
from datetime import date

import pytest
import sqlite_utils

import checks.runner as runner
import checks.site_threads as site_threads
from checks.context import RunContext
from checks.registry import REGISTRY, Finding
from config import load_config


def _context(path: str) -> RunContext:
    db = sqlite_utils.Database(path)
    run = db.execute("select id, site from runs order by id desc limit 1").fetchone()
    return RunContext(db=db, run_id=run[0], config=load_config(None), site_hosts={run[1]}, as_of=date(2026, 11, 25))


def _threads_left() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("site-checks")]


def _with_checks(monkeypatch, funcs: dict[str, object]) -> None:
    """Run only these site checks: REGISTRY's checks of those codes with ``funcs`` instead."""
    todo = [(dataclasses.replace(REGISTRY[code], func=func), None) for code, func in funcs.items()]
    monkeypatch.setattr(runner, "enabled_checks", lambda config, kind: todo if kind == "site" else [])


def test_threads_give_the_findings_of_one_thread_in_the_same_order(demo_audit):
    ctx = _context(demo_audit["_db"])
    alone = list(runner.run_site_checks(ctx, threads=1))
    assert alone  # the demo store has broken links, images and more
    assert list(runner.run_site_checks(ctx, threads=2)) == alone
    assert list(runner.run_site_checks(ctx, threads=4)) == alone
    assert _threads_left() == []


def test_a_check_that_fails_on_a_thread_costs_only_its_own_findings(demo_audit, monkeypatch, caplog):
    def broken(ctx, options):
        yield Finding(code="LINK001", page="http://a/", message="half done")
        raise RuntimeError("the query went wrong")

    def fine(ctx, options):
        yield Finding(code="IMG001", page="http://a/", message="fine")

    _with_checks(monkeypatch, {"LINK001": broken, "IMG001": fine})
    found = list(runner.run_site_checks(_context(demo_audit["_db"]), threads=2))
    assert [f.message for f in found] == ["half done", "fine"]
    assert "check LINK001 failed" in caplog.text and "the query went wrong" in caplog.text


def test_a_check_with_many_findings_waits_for_the_caller_to_take_them(demo_audit, monkeypatch):
    made = []

    def many(ctx, options):
        for n in range(50_000):
            made.append(n)
            yield Finding(code="LINK001", page=f"http://a/{n}", message="broken")

    _with_checks(monkeypatch, {"LINK001": many})
    found = runner.run_site_checks(_context(demo_audit["_db"]), threads=2)
    next(found)
    threading.Event().wait(0.3)  # the thread runs ahead as far as it may
    assert len(made) <= (site_threads.WAITING_BATCHES + 2) * site_threads.HAND_OVER
    assert sum(1 for _ in found) == 50_000 - 1


def test_a_run_given_up_halfway_stops_its_threads(demo_audit, monkeypatch):
    def endless(ctx, options):
        while True:
            yield Finding(code="LINK001", page="http://a/", message="again")

    _with_checks(monkeypatch, {"LINK001": endless, "IMG001": endless})
    found = runner.run_site_checks(_context(demo_audit["_db"]), threads=2)
    next(found)
    found.close()  # as when the audit is interrupted while the site checks run
    assert _threads_left() == []


def test_a_database_in_memory_is_checked_in_the_callers_thread():
    db = sqlite_utils.Database(memory=True)
    from storeaudit.store import migrate

    migrate(db)
    db["runs"].insert({"id": 1, "site": "127.0.0.1:1", "status": "running"})
    ctx = RunContext(db=db, run_id=1, config=load_config(None), site_hosts={"127.0.0.1:1"})
    assert list(runner.run_site_checks(ctx, threads=2)) == []
    assert _threads_left() == []
