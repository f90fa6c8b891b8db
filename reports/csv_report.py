"""CSV output: one row per finding instance, for spreadsheets and analysts.

Ignored (accepted) findings are included at the end with their reason in the ``ignored``
column, so a filter shows them and nothing silently disappears.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from reports.model import Group, ReportData

__all__ = ["COLUMNS", "render", "stream"]

COLUMNS = ("code", "category", "team", "severity", "template", "new", "page", "page_title", "target",
           "region", "element", "text", "message", "group", "fingerprint", "ignored")


def _rows(groups: list[Group]):
    for g in groups:
        for i in g.each():
            ev = i.evidence
            yield {
                "code": g.code, "category": g.category, "team": g.team, "severity": g.severity,
                "template": "yes" if g.template else "no", "new": "yes" if i.new else "no",
                "page": i.page, "page_title": i.title, "target": g.target,
                "region": ev.get("region", ""), "element": ev.get("element", ""),
                "text": ev.get("text") or ev.get("quote") or "", "message": i.message,
                "group": g.id, "fingerprint": i.fingerprint, "ignored": i.ignored or "",
            }


def render(data: ReportData) -> str:
    return "".join(stream(data))


def stream(data: ReportData) -> Iterator[str]:
    """The file in pieces of about 500 rows (a 100,000-page audit has ~184,000 rows)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for n, row in enumerate(_rows([*data.groups, *data.ignored]), 1):
        writer.writerow(row)
        if n % 500 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
