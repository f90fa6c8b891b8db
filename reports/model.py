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


@dataclass(slots=True)
class Instance:
    page: str
    message: str
    #: as stored, parsed on use: a 100,000-page audit's report holds ~200,000 instances, and
    #: parsed they took 142 MB
    evidence_json: str
    fingerprint: str
    title: str = ""  # the page's <title>, as crawled (untrusted text)
    new: bool = False  # not in the previous complete audit of the same site
    ignored: str | None = None  # the reason, when the finding is accepted

    @property
    def evidence(self) -> dict[str, Any]:
        return json.loads(self.evidence_json) if self.evidence_json else {}


@dataclass(slots=True)
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
    def new(self) -> bool:
        """Any instance of this defect is new since the previous audit."""
        return any(i.new for i in self.instances)

    @property
    def category(self) -> str:
        return self.check.category

    @property
    def text(self) -> str:
        """The link text or quote, when every page shows the same one ('' otherwise)."""
        texts = {str(ev.get("text") or ev.get("quote") or "") for ev in (i.evidence for i in self.instances)}
        return texts.pop() if len(texts) == 1 else ""

    @property
    def reason(self) -> str:
        """Why it is ignored (for groups listed as accepted)."""
        return next((i.ignored for i in self.instances if i.ignored), "")

    @property
    def weight(self) -> tuple[int, int]:
        """Worst first: severity, then how many pages it affects."""
        return (SEVERITY_RANK[self.severity], self.pages)


@dataclass
class ReportData:
    """A run's report: its visible defects, worst first, and its history.

    ``groups`` excludes ignored findings (they are in ``ignored``); ``previous`` is the last
    complete audit of the same site before this one (None for the first), ``fixed`` its
    defects that are gone now, and ``trend`` open defects per team over past runs.
    """

    run: dict[str, Any]
    groups: list[Group]
    teams: list[str]
    ignored: list[Group] = field(default_factory=list)
    previous: dict[str, Any] | None = None
    fixed: list[Group] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)

    @property
    def new(self) -> list[Group]:
        return [g for g in self.groups if g.new]

    def by_category(self) -> dict[str, dict[str, int]]:
        """category -> team -> number of defects."""
        out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for g in self.groups:
            out[g.category][g.team] += 1
        return {c: dict(t) for c, t in sorted(out.items())}

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


def limit_rows(limits_hit: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(limit, where, URLs held back) from ``runs.limits_hit``, old flat or new per-place form."""
    rows = []
    for name, spots in sorted(limits_hit.items()):
        items = spots.items() if isinstance(spots, dict) else [("", spots)]
        rows.extend((name, where, int(n)) for where, n in sorted(items))
    return rows


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
    if run["status"] == "interrupted":
        from storeaudit.audit import settle_unfinished_findings

        settle_unfinished_findings(db, run)
    return run


def load_report(db: sqlite_utils.Database, run_id: int | None = None, *, team: str | None = None) -> ReportData:
    """Everything a report shows about one run, from the database alone."""
    from storeaudit.history import previous_run, trend
    from storeaudit.ignores import Ignores

    run = pick_run(db, run_id)
    run["flows"] = load_flows(db, run["id"])  # checkout flows' step logs (HTML report, IT section)
    ignores = Ignores.load(db, run)
    prev_id = previous_run(db, run) if run.get("site") else None
    before = _fingerprints(db, prev_id) if prev_id is not None else None
    groups, ignored = _groups(db, run["id"], team, ignores, before=before)
    fixed: list[Group] = []
    if prev_id is not None:
        after = _fingerprints(db, run["id"])
        gone, _ = _groups(db, prev_id, team, ignores, keep=lambda fp: fp not in after)
        fixed = gone
    teams = list(run["settings"].get("report.teams", ["content", "it"]))
    for g in groups:
        if g.team not in teams:
            teams.append(g.team)
    if team:
        teams = [team]
    points = trend(db, run, ignores, limit=int(run["settings"].get("report.history_runs", 12)))
    if team:
        points = [{**p, "teams": {team: p["teams"].get(team, 0)}} for p in points]
    return ReportData(run=run, groups=groups, teams=teams, ignored=ignored,
                      previous=pick_run(db, prev_id) if prev_id is not None else None,
                      fixed=fixed, trend=points)


def _fingerprints(db: sqlite_utils.Database, run_id: int) -> set[str]:
    return {r[0] for r in db.execute("select fingerprint from findings where run_id = ?", [run_id])}


def _groups(db: sqlite_utils.Database, run_id: int, team: str | None, ignores: Any, *,
            before: set[str] | None = None, keep: Any = None) -> tuple[list[Group], list[Group]]:
    """The run's findings as defects, worst first: (visible groups, ignored groups)."""
    where = "f.run_id = :run" + (" and f.team = :team" if team else "")
    groups: dict[tuple[str, str, str, bool], Group] = {}
    # One string object per distinct value: a defect's message, a page's URL and title, and
    # the evidence of a template link repeat across instances (the 100,000-page
    # audit's report: 262 -> 200 MB, 5.2 -> 2.6 s)
    same: dict[str, str] = {}
    one = lambda text: same.setdefault(text, text)  # noqa: E731
    for row in db.query(f"select f.*, p.title from findings f left join pages p "
                        f"on p.run_id = f.run_id and p.url = f.page where {where} "
                        f"order by f.code, f.grp, f.page", {"run": run_id, "team": team}):
        if keep is not None and not keep(row["fingerprint"]):
            continue
        check = REGISTRY.get(row["code"])
        if check is None:  # a check retired since this run was recorded
            continue
        reason = ignores.reason(fingerprint=row["fingerprint"], code=row["code"], page=row["page"]) \
            if ignores else None
        key = (row["code"], row["grp"], row["team"], reason is not None)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(
                id=group_id(row["code"], row["grp"]), code=one(row["code"]), check=check,
                team=one(row["team"]), severity=one(row["severity"]), target=one(row["target"]),
                template=bool(row["template"]), message=one(row["message"]))
        group.instances.append(Instance(
            page=one(row["page"]), message=one(row["message"]), evidence_json=one(row["evidence"] or ""),
            fingerprint=row["fingerprint"], title=one(row["title"] or ""),
            new=before is not None and row["fingerprint"] not in before,
            ignored=reason))
    ordered = sorted(groups.values(), key=lambda g: (-g.weight[0], -g.weight[1], g.code, g.target))
    return [g for g in ordered if not g.reason], [g for g in ordered if g.reason]
