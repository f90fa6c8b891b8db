"""What a site check gets: one run in the database and the audit's settings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from config import Config

if TYPE_CHECKING:  # page workers import checks and never touch the database: importing
    import sqlite_utils  # sqlite-utils (and numpy, pkg_resources with it) costs each ~20 MB

__all__ = ["PageContext", "RunContext", "describe_failure"]


@dataclass(frozen=True)
class PageContext:
    """What a page check may know beyond the page: the audit's date and the store's hosts."""

    as_of: date
    site_hosts: frozenset[str]
    config: Config


@dataclass
class RunContext:
    db: sqlite_utils.Database
    run_id: int
    config: Config
    site_hosts: set[str] = field(default_factory=set)
    as_of: date = field(default_factory=date.today)

    def query(self, sql: str, params: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
        """Rows of ``sql`` as dicts; ``:run`` is bound to this run's id."""
        return self.db.query(sql, {"run": self.run_id, **(params or {})})

    @property
    def page_count(self) -> int:
        return self.db.execute("select count(*) from pages where run_id = ?", [self.run_id]).fetchone()[0]


def describe_failure(status: int | None, error: str | None) -> str:
    """'404 Not Found', 'timed out', ...: how a failed fetch reads in a message."""
    if error:
        kind, _, detail = error.partition(": ")
        return {"timeout": "timed out", "dns": "host name not found", "tls": "TLS/certificate failure",
                "connection": "connection failed", "too-large": "response too large"}.get(kind, detail or kind)
    if status is None:
        return "no response"
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def load_json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default
