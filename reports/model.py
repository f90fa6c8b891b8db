"""What every report shows, read from the database alone: a run and its findings, grouped.

Reports never crawl: any past run can be rendered again from its database.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from checks.registry import REGISTRY, SEVERITY_RANK, Check
from reports.flows import load_flows

__all__ = ["Group", "Instance", "InstanceSource", "ReportData", "group_id", "load_report", "pick_run"]




class ReportError(Exception):
    """The report cannot be made (no such run, empty database); one line for the user."""


def group_id(code: str, grp: str) -> str:
    """Stable id shared by the instances of one defect: check code and a hash of its subject."""
    return f"{code}-{hashlib.sha1(grp.encode('utf-8')).hexdigest()[:10]}"


@dataclass(slots=True)
class Instance:
    page: str
    message: str
    evidence_json: str  # as stored, parsed on use
    fingerprint: str
    title: str = ""  # the page's <title>, as crawled (untrusted text)
    new: bool = False  # not in the previous complete audit of the same site
    ignored: str | None = None  # the reason, when the finding is accepted

    @property
    def evidence(self) -> dict[str, Any]:
        return json.loads(self.evidence_json) if self.evidence_json else {}


class InstanceSource:
    """Reads a run's finding instances from the database when a report lists them.

    A report holds its defects, not their instances: a 100,000-page audit has ~184,000
    instances, which held in memory were ~125 MB on top of the crawl's leftovers, and the
    audit's peak. Each group keeps its findings' rowids (8 bytes each) and reads them back
    as it is rendered: the HTML report reads only the pages it lists.
    """

    __slots__ = ("db", "previous", "ignores")

    def __init__(self, db: sqlite_utils.Database, *, previous: int | None, ignores: Any) -> None:
        self.db = db
        self.previous = previous  # the run whose fingerprints are not new
        self.ignores = ignores

    def load(self, rowids: Sequence[int]) -> list[Instance]:
        """The instances with these rowids, in this order. A row deleted since the report was
        loaded (an audit resumed meanwhile rewrites its run's site findings) is left out."""
        new = ("not exists(select 1 from findings b where b.run_id = ? and b.fingerprint = f.fingerprint)"
               if self.previous is not None else "0")
        found: dict[int, Instance] = {}
        for start in range(0, len(rowids), 500):
            chunk = list(rowids[start:start + 500])
            sql = (f"select f.rowid, f.code, f.page, f.message, f.evidence, f.fingerprint, p.title, {new} "
                   f"from findings f left join pages p on p.run_id = f.run_id and p.url = f.page "
                   f"where f.rowid in ({', '.join('?' * len(chunk))})")
            params = ([self.previous] if self.previous is not None else []) + chunk
            for rowid, code, page, message, evidence, fingerprint, title, is_new in self.db.execute(sql, params):
                reason = self.ignores.reason(fingerprint=fingerprint, code=code, page=page) \
                    if self.ignores else None
                found[rowid] = Instance(page=page, message=message, evidence_json=evidence or "",
                                        fingerprint=fingerprint, title=title or "", new=bool(is_new),
                                        ignored=reason)
        return [found[r] for r in rowids if r in found]


@dataclass(slots=True)
class Group:
    """One defect: a check and its subject (target URL or quoted text), with what the reports
    show of it computed once; its instances (every page it shows on) are read on use."""

    id: str
    code: str
    check: Check
    team: str
    severity: str
    target: str
    template: bool
    message: str
    pages: int = 0  # distinct pages
    new: bool = False  # any instance is new since the previous audit
    text: str = ""  # the link text or quote, when every instance shows the same one
    reason: str = ""  # why it is ignored (for groups listed as accepted)
    rowids: array = field(default_factory=lambda: array("q"))
    source: InstanceSource | None = None

    @property
    def count(self) -> int:
        """Instances (a page can show one defect more than once)."""
        return len(self.rowids)

    @property
    def instances(self) -> list[Instance]:
        """Every instance, page by page, read from the database."""
        return list(self.each())

    def each(self, batch: int = 500) -> Iterator[Instance]:
        """Every instance, page by page, read ``batch`` at a time: a template defect can be
        on every page of the store."""
        for start in range(0, self.count, batch):
            yield from self.first_from(start, batch)

    def first(self, n: int) -> list[Instance]:
        """The first ``n`` instances (the HTML report lists 200 pages per defect)."""
        return self.first_from(0, n)

    def first_from(self, start: int, n: int) -> list[Instance]:
        return self.source.load(self.rowids[start:start + n]) if self.source is not None else []

    @property
    def category(self) -> str:
        return self.check.category

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
    groups, ignored = _groups(db, run["id"], team, ignores, before=before, previous=prev_id)
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
            before: set[str] | None = None, keep: Any = None,
            previous: int | None = None) -> tuple[list[Group], list[Group]]:
    """The run's findings as defects, worst first: (visible groups, ignored groups).
    ``before``: the fingerprints of run ``previous``, whose findings are not new."""
    where = "run_id = :run" + (" and team = :team" if team else "")
    source = InstanceSource(db, previous=previous, ignores=ignores)
    groups: list[Group] = []
    # Rows come defect by defect (code, grp), then page by page. What is kept per group only
    # while its rows go by: the group by (team, ignored), its last page and whether its texts
    # still agree. Held for the whole run, the keys were ~30 MB at 100,000 pages.
    subject = None
    current: dict[tuple[str, bool], Group] = {}
    last_page: dict[tuple[str, bool], str] = {}
    same_text: dict[tuple[str, bool], bool] = {}
    one: dict[str, str] = {}  # one string object per distinct team, severity and message
    for rowid, code, grp, team_, severity, target, template, message, page, fingerprint, evidence in db.execute(
            f"select rowid, code, grp, team, severity, target, template, message, page, fingerprint, evidence "
            f"from findings where {where} order by code, grp, page, rowid", {"run": run_id, "team": team}):
        if keep is not None and not keep(fingerprint):
            continue
        check = REGISTRY.get(code)
        if check is None:  # a check retired since this run was recorded
            continue
        if (code, grp) != subject:
            subject = (code, grp)
            current.clear()
            last_page.clear()
            same_text.clear()
        reason = ignores.reason(fingerprint=fingerprint, code=code, page=page) if ignores else None
        key = (team_, reason is not None)
        group = current.get(key)
        if group is None:
            group = current[key] = Group(
                id=group_id(code, grp), code=check.code, check=check, team=one.setdefault(team_, team_),
                severity=one.setdefault(severity, severity), target=target, template=bool(template),
                message=one.setdefault(message, message), source=source)
            groups.append(group)
            same_text[key] = True
        group.rowids.append(rowid)
        if last_page.get(key) != page:
            last_page[key] = page
            group.pages += 1
        if before is not None and not group.new and fingerprint not in before:
            group.new = True
        if reason and not group.reason:
            group.reason = reason
        if same_text[key]:
            ev = json.loads(evidence) if evidence else {}
            text = str(ev.get("text") or ev.get("quote") or "")
            if group.count == 1:
                group.text = text
            elif text != group.text:
                group.text, same_text[key] = "", False
    ordered = sorted(groups, key=lambda g: (-g.weight[0], -g.weight[1], g.code, g.target))
    return [g for g in ordered if not g.reason], [g for g in ordered if g.reason]
