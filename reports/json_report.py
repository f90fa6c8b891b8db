"""JSON output: exactly the contract in DESIGN.md (CI users and tests rely on it)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from reports.model import ReportData

__all__ = ["render", "stream"]

RUN_KEYS = ("id", "start_url", "status", "started_at", "finished_at", "pages", "fetches")


def render(data: ReportData) -> str:
    return "".join(stream(data))


def stream(data: ReportData) -> Iterator[str]:
    """The document in pieces, one finding each, as ``json.dumps(..., indent=2)`` would write
    it whole: a 100,000-page audit has ~184,000 findings, read group by group."""
    run = {k: data.run.get(k) for k in RUN_KEYS}
    head = json.dumps({"run": run}, indent=2, ensure_ascii=False)
    yield head[:-2] + ',\n  "findings": ['
    sep = "\n    "
    for g in data.groups:
        for i in g.each():
            finding = {
                "code": g.code, "category": g.check.category, "team": g.team, "severity": g.severity,
                "page": i.page, "target": g.target, "message": i.message, "evidence": i.evidence,
                "group": g.id, "template": g.template, "fingerprint": i.fingerprint,
            }
            # json.dumps writes no raw newline inside a string, so this only indents lines
            yield sep + json.dumps(finding, indent=2, ensure_ascii=False).replace("\n", "\n    ")
            sep = ",\n    "
    yield "]\n}\n" if sep == "\n    " else "\n  ]\n}\n"
