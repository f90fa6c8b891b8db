"""Markdown: a short summary for a pull request, a chat message or a webhook.

Counts per team, what is new since the previous audit of the same site, what was fixed, and
the worst defects. Crawled text is escaped so it cannot format, link or mention anyone.
"""

from __future__ import annotations

import re

from checks.registry import SEVERITY_RANK
from reports.html_report import TEAM_TITLES, short_url
from reports.model import Group, ReportData, limit_rows

__all__ = ["render"]

MAX_NEW = 10
MAX_TOP = 5
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~@])")


def escape(text: str) -> str:
    """Crawled text as literal Markdown: no formatting, links, HTML or @mentions."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _line(g: Group, site: str) -> str:
    subject = _code(short_url(g.target, site)) if g.target else escape(g.message)
    pages = f"{g.pages} page{'s' if g.pages != 1 else ''}"
    return (f"- **{g.severity}** {g.code} {escape(g.check.title)}: {subject} — {pages}"
            f"{', template' if g.template else ''} ({TEAM_TITLES.get(g.team, g.team)})")


def render(data: ReportData) -> str:
    run, site = data.run, data.run.get("site", "")
    out = [f"## storeaudit: {len(data.groups)} defect{'s' if len(data.groups) != 1 else ''} "
           f"on {_code(run.get('start_url', ''))}", ""]
    out.append(f"Run #{run['id']} {run.get('status')}, {run.get('started_at')}: {run.get('pages')} pages "
               f"crawled, {run.get('fetches')} URLs checked.")
    if run.get("status") != "complete":
        out.append(f"\n**Warning: this audit was {run.get('status')}** — findings cover only what was crawled.")
    if run.get("limits_hit"):
        limits = ", ".join(f"{escape(name)}{' under ' + escape(where) if where else ''} ({n})"
                           for name, where, n in limit_rows(run["limits_hit"]))
        out.append(f"\n**Crawl limits were reached:** {limits}.")
    out += ["", "| Team | Errors | Warnings | Notices | New | Fixed |", "|---|---:|---:|---:|---:|---:|"]
    for team in data.teams:
        groups = [g for g in data.groups if g.team == team]
        counts = {s: sum(1 for g in groups if g.severity == s) for s in SEVERITY_RANK}
        new = sum(1 for g in groups if g.new)
        fixed = sum(1 for g in data.fixed if g.team == team)
        out.append(f"| {escape(TEAM_TITLES.get(team, team))} | {counts['error']} | {counts['warning']} | "
                   f"{counts['notice']} | {new if data.previous else '–'} | {fixed if data.previous else '–'} |")
    if data.previous:
        new_groups = data.new
        out += ["", f"**New since run #{data.previous['id']}** ({len(new_groups)}, fixed: {len(data.fixed)})"]
        out += [_line(g, site) for g in new_groups[:MAX_NEW]] or ["- nothing new"]
        if len(new_groups) > MAX_NEW:
            out.append(f"- … and {len(new_groups) - MAX_NEW} more")
    if data.groups:
        out += ["", "**Worst defects**"]
        out += [_line(g, site) for g in data.groups[:MAX_TOP]]
    if data.ignored:
        n = sum(g.count for g in data.ignored)
        out += ["", f"_{n} accepted finding{'s are' if n != 1 else ' is'} ignored (listed in the HTML report)._"]
    return "\n".join(out) + "\n"
