"""History: every audit is a run in one database, so diffs and trends are queries over it.

A finding is followed from run to run by its fingerprint (``storeaudit/fingerprint.py``):
between two runs, a fingerprint only in the later one is *new*, only in the earlier one
*fixed*, in both *still open*. Ignored findings (``storeaudit/ignores.py``) are counted, not
listed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from reports.model import ReportError, pick_run
from storeaudit.ignores import Ignores

__all__ = ["DiffEntry", "RunDiff", "baseline_fingerprints", "default_pair", "diff_runs",
           "previous_run", "run_findings", "trend"]

STATES = ("new", "fixed", "open")


@dataclass(frozen=True)
class DiffEntry:
    fingerprint: str
    code: str
    team: str
    severity: str
    page: str
    target: str
    grp: str
    message: str


@dataclass
class RunDiff:
    """What changed between run ``a`` (earlier) and run ``b`` (later)."""

    a: dict[str, Any]
    b: dict[str, Any]
    new: list[DiffEntry] = field(default_factory=list)
    fixed: list[DiffEntry] = field(default_factory=list)
    open: list[DiffEntry] = field(default_factory=list)
    ignored: int = 0

    def by_team(self) -> dict[str, dict[str, list[DiffEntry]]]:
        out: dict[str, dict[str, list[DiffEntry]]] = defaultdict(lambda: {s: [] for s in STATES})
        for state in STATES:
            for entry in getattr(self, state):
                out[entry.team][state].append(entry)
        return dict(sorted(out.items()))

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a["id"], "b": self.b["id"], "ignored": self.ignored,
                "teams": {team: {state: [e.__dict__ for e in entries] for state, entries in states.items()}
                          for team, states in self.by_team().items()}}


def run_findings(db: sqlite_utils.Database, run: dict[str, Any], ignores: Ignores) -> tuple[dict[str, DiffEntry], int]:
    """A run's findings by fingerprint (ignored ones left out) and how many were ignored."""
    out: dict[str, DiffEntry] = {}
    ignored = 0
    for row in db.query("select fingerprint, code, team, severity, page, target, grp, message "
                        "from findings where run_id = ? order by code, grp, page", [run["id"]]):
        if ignores and ignores.reason(fingerprint=row["fingerprint"], code=row["code"], page=row["page"]):
            ignored += 1
            continue
        out.setdefault(row["fingerprint"], DiffEntry(**row))
    return out, ignored


def diff_runs(db: sqlite_utils.Database, run_a: int, run_b: int) -> RunDiff:
    a, b = pick_run(db, run_a), pick_run(db, run_b)
    ignores = Ignores.load(db, b)
    before, _ = run_findings(db, a, ignores)
    after, ignored = run_findings(db, b, ignores)
    return RunDiff(
        a=a, b=b, ignored=ignored,
        new=[e for fp, e in after.items() if fp not in before],
        fixed=[e for fp, e in before.items() if fp not in after],
        open=[e for fp, e in after.items() if fp in before],
    )


def previous_run(db: sqlite_utils.Database, run: dict[str, Any]) -> int | None:
    """The last complete run of the same site before ``run``, or None."""
    row = db.execute("select max(id) from runs where site = ? and status = 'complete' and id < ?",
                     [run["site"], run["id"]]).fetchone()
    return row[0]


def default_pair(db: sqlite_utils.Database) -> tuple[int, int]:
    """The last two complete runs of the site audited most recently."""
    if not db["runs"].exists():
        raise ReportError("the database holds no audits yet")
    row = db.execute("select id, site from runs where status = 'complete' order by id desc limit 1").fetchone()
    if row is None:
        raise ReportError("the database holds no complete audits yet")
    earlier = previous_run(db, {"id": row[0], "site": row[1]})
    if earlier is None:
        raise ReportError(f"only one complete audit of {row[1]}: diff needs two (or give RUN_A RUN_B)")
    return earlier, row[0]


def trend(db: sqlite_utils.Database, run: dict[str, Any], ignores: Ignores, *,
          limit: int = 12) -> list[dict[str, Any]]:
    """Open defects per team in the last ``limit`` complete runs of the site, up to ``run``.

    Each point: ``{"id", "started_at", "teams": {team: defects}}``; a defect is a check and its
    subject (a group), counted once however many pages it shows on.
    """
    ids = [r[0] for r in db.execute(
        "select id from runs where site = ? and id <= ? and (status = 'complete' or id = ?) "
        "order by id desc limit ?", [run["site"], run["id"], run["id"], limit])]
    points = []
    for run_id in reversed(ids):
        groups: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for row in db.query("select team, code, grp, fingerprint, page from findings where run_id = ?", [run_id]):
            if ignores and ignores.reason(fingerprint=row["fingerprint"], code=row["code"], page=row["page"]):
                continue
            groups[row["team"]].add((row["code"], row["grp"]))
        started = db.execute("select started_at from runs where id = ?", [run_id]).fetchone()[0]
        points.append({"id": run_id, "started_at": started,
                       "teams": {team: len(g) for team, g in groups.items()}})
    return points


def baseline_fingerprints(db: sqlite_utils.Database, spec: str) -> set[str]:
    """Fingerprints of a baseline: a run id in the database, or a JSON report file (``--format json``)."""
    if spec.isdigit():
        run = pick_run(db, int(spec))
        return {r[0] for r in db.execute("select fingerprint from findings where run_id = ?", [run["id"]])}
    path = Path(spec)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {f["fingerprint"] for f in data["findings"]}
    except OSError as exc:
        raise ReportError(f"cannot read baseline {spec}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError):
        raise ReportError(f"baseline {spec} is neither a run id nor a storeaudit JSON report") from None
