"""What every report shows, read from the database alone: a run and its findings, grouped.

Reports never crawl: any past run can be rendered again from its database.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from checks.registry import REGISTRY, SEVERITY_RANK, Check
from reports.flows import load_flows

__all__ = ["Group", "Instance", "ReportData", "group_id", "load_report", "pick_run"]


class ReportError(Exception):
    """The report cannot be made (no such run, empty database); one line for the user."""


def group_id(code: str, grp: str) -> str:
    """Stable id shared by the instances of one defect: check code and a hash of its subject."""
    return f"{code}-{hashlib.sha1(grp.encode('utf-8')).hexdigest()[:10]}"


@dataclass
class Instance:
    page: str
    message: str
    evidence: dict[str, Any]
    fingerprint: str


@dataclass
class Group:
    """One defect: a check and its subject (target URL or quoted text) with every page it shows on."""

    id: str
    code: str
    check: Check
    team: str
    severity: str
    target: str
    template: bool
    message: str
    instances: list[Instance] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return len({i.page for i in self.instances})

    @property
    def weight(self) -> tuple[int, int]:
        """Worst first: severity, then how many pages it affects."""
        return (SEVERITY_RANK[self.severity], self.pages)


@dataclass
class ReportData:
    run: dict[str, Any]
    groups: list[Group]
    teams: list[str]

    def by_team(self) -> dict[str, list[Group]]:
        out: dict[str, list[Group]] = {t: [] for t in self.teams}
        for g in self.groups:
            out.setdefault(g.team, []).append(g)
        return out

    def counts(self) -> dict[str, dict[str, int]]:
        """team -> severity -> number of defects (groups)."""
        out: dict[str, dict[str, int]] = defaultdict(lambda: {s: 0 for s in SEVERITY_RANK})
        for g in self.groups:
            out[g.team][g.severity] += 1
        return dict(out)


def pick_run(db: sqlite_utils.Database, run_id: int | None) -> dict[str, Any]:
    if not db["runs"].exists():
        raise ReportError("the database holds no audits yet")
    if run_id is None:
        row = db.execute("select max(id) from runs where status != 'running'").fetchone()
        if row[0] is None:
            raise ReportError("the database holds no finished audits yet")
        run_id = row[0]
    try:
        run = dict(db["runs"].get(run_id))
    except sqlite_utils.db.NotFoundError:
        raise ReportError(f"no run {run_id} in the database") from None
    run["limits_hit"] = json.loads(run.get("limits_hit") or "{}")
    run["settings"] = json.loads(run.get("settings") or "{}")
    return run


def load_report(db: sqlite_utils.Database, run_id: int | None = None, *, team: str | None = None) -> ReportData:
    run = pick_run(db, run_id)
    run["flows"] = load_flows(db, run["id"])  # checkout flows' step logs (HTML report, IT section)
    where = "run_id = :run" + (" and team = :team" if team else "")
    groups: dict[tuple[str, str, str], Group] = {}
    for row in db.query(f"select * from findings where {where} order by code, grp, page",
                        {"run": run["id"], "team": team}):
        key = (row["code"], row["grp"], row["team"])
        group = groups.get(key)
        if group is None:
            check = REGISTRY.get(row["code"])
            if check is None:  # a check retired since this run was recorded
                continue
            group = groups[key] = Group(
                id=group_id(row["code"], row["grp"]), code=row["code"], check=check, team=row["team"],
                severity=row["severity"], target=row["target"], template=bool(row["template"]),
                message=row["message"])
        group.instances.append(Instance(page=row["page"], message=row["message"],
                                        evidence=json.loads(row["evidence"] or "{}"),
                                        fingerprint=row["fingerprint"]))
    ordered = sorted(groups.values(), key=lambda g: (-g.weight[0], -g.weight[1], g.code, g.target))
    teams = list(run["settings"].get("report.teams", ["content", "it"]))
    for g in ordered:
        if g.team not in teams:
            teams.append(g.team)
    if team:
        teams = [team]
    return ReportData(run=run, groups=ordered, teams=teams)
