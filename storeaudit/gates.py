"""CI gates: which defects make `storeaudit audit` exit 1.

``--fail-on LEVEL`` fails on any visible defect at or above LEVEL; with a baseline
(``--baseline RUN|FILE``, or ``--fail-on-new`` meaning the previous complete audit of the same
site) only findings whose fingerprint the baseline lacks count. Ignored findings never count.
"""

from __future__ import annotations

from checks.registry import SEVERITY_RANK
from reports.model import Group, ReportData

__all__ = ["failing_groups"]


def failing_groups(data: ReportData, *, fail_on: str, baseline: set[str] | None = None) -> list[Group]:
    """Defects at or above ``fail_on`` (only their instances missing from ``baseline``, if given)."""
    threshold = SEVERITY_RANK[fail_on]
    out = []
    for g in data.groups:
        if SEVERITY_RANK[g.severity] < threshold:
            continue
        if baseline is not None and all(i.fingerprint in baseline for i in g.each()):
            continue
        out.append(g)
    return out
