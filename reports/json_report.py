"""JSON output: exactly the contract in DESIGN.md (CI users and tests rely on it)."""

from __future__ import annotations

import json

from reports.model import ReportData

__all__ = ["render"]

RUN_KEYS = ("id", "start_url", "status", "started_at", "finished_at", "pages", "fetches")


def render(data: ReportData) -> str:
    findings = []
    for g in data.groups:
        for i in g.instances:
            findings.append({
                "code": g.code, "category": g.check.category, "team": g.team, "severity": g.severity,
                "page": i.page, "target": g.target, "message": i.message, "evidence": i.evidence,
                "group": g.id, "template": g.template, "fingerprint": i.fingerprint,
            })
    run = {k: data.run.get(k) for k in RUN_KEYS}
    return json.dumps({"run": run, "findings": findings}, indent=2, ensure_ascii=False) + "\n"
