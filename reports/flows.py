"""The checkout flows of a run with their step logs, for the reports (read from the database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

__all__ = ["FlowLog", "load_flows"]

OUTCOME_TITLES = {"reached-checkout": "reached checkout", "failed": "failed", "refused": "stopped by the stop list",
                  "error": "could not run"}


@dataclass
class FlowLog:
    """One flow as the report shows it: where it started, how it ended, every step."""

    flow: str
    name: str
    page: str
    outcome: str
    message: str
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def outcome_title(self) -> str:
        return OUTCOME_TITLES.get(self.outcome, self.outcome)


def load_flows(db: sqlite_utils.Database, run_id: int) -> list[FlowLog]:
    """Every flow of ``run_id`` with its steps, in the order they ran ([] for older databases)."""
    if not db["flows"].exists():
        return []
    flows = {row["flow"]: FlowLog(flow=row["flow"], name=row["name"], page=row["page"], outcome=row["outcome"],
                                  message=row["message"])
             for row in db.query("select * from flows where run_id = :run order by rowid", {"run": run_id})}
    for row in db.query("select * from flow_steps where run_id = :run order by flow, step", {"run": run_id}):
        if row["flow"] in flows:
            flows[row["flow"]].steps.append(row)
    return list(flows.values())
