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
from checks.context import RunContext, Shared
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


def test_a_value_threads_ask_for_at_once_is_worked_out_once():
    shared = Shared()
    started, calls = threading.Barrier(4), []

    def compute() -> int:
        calls.append(1)
        return 42

    def ask(out: list) -> None:
        started.wait()
        out.append(shared.get("answer", compute))

    got: list[int] = []
    threads = [threading.Thread(target=ask, args=(got,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [42] * 4 and len(calls) == 1


def test_a_shared_value_that_failed_is_worked_out_again():
    shared = Shared()

    def fail() -> int:
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        shared.get("answer", fail)
    assert shared.get("answer", lambda: 7) == 7


def test_the_navigation_checks_group_the_template_links_once_per_run(demo_audit, monkeypatch):
    ctx = _context(demo_audit["_db"])
    alone = {code: list(REGISTRY[code].func(_context(demo_audit["_db"]), REGISTRY[code].make_options({})))
             for code in ("STRUCT009", "STRUCT010", "STRUCT011")}
    scans = []
    execute = sqlite_utils.Database.execute

    def counting(self, sql, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "menu_pages" in sql:
            scans.append(sql)
        return execute(self, sql, *args, **kwargs)

    monkeypatch.setattr(sqlite_utils.Database, "execute", counting)
    monkeypatch.setattr(runner, "enabled_checks", lambda config, kind: [
        (REGISTRY[code], REGISTRY[code].make_options({})) for code in alone] if kind == "site" else [])
    together = list(runner.run_site_checks(ctx, threads=2))
    assert len(scans) == 1
    assert together == [f for code in alone for f in alone[code]]
