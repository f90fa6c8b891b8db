"""What a site check gets: one run in the database and the audit's settings."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar

from config import Config

if TYPE_CHECKING:  # page workers import checks and never touch the database: importing
    import sqlite_utils  # sqlite-utils (and numpy, pkg_resources with it) costs each ~20 MB

__all__ = ["PageContext", "RunContext", "Shared", "describe_failure"]

T = TypeVar("T")


@dataclass(frozen=True)
class PageContext:
    """What a page check may know beyond the page: the audit's date and the store's hosts."""

    as_of: date
    site_hosts: frozenset[str]
    config: Config


class Shared:
    """What several site checks of one run read alike, worked out once by the first to ask.

    Why: STRUCT009, STRUCT010 and STRUCT011 each grouped the run's template links, a scan of
    every header, menu and footer link (~1.2 s at 10,000 pages). The checks run on threads:
    one that asks for a value another is working out waits for it.
    Keep only small results here (they live until the run's checks are done)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._values: dict[str, Any] = {}

    def get(self, key: str, compute: Callable[[], T]) -> T:
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = compute()  # one that fails is not kept: the next to ask tries again
            return self._values[key]  # type: ignore[no-any-return]


@dataclass
class RunContext:
    db: sqlite_utils.Database
    run_id: int
    config: Config
    site_hosts: set[str] = field(default_factory=set)
    as_of: date = field(default_factory=date.today)
    #: shared by the copies each site-check thread makes (``dataclasses.replace`` keeps it)
    shared: Shared = field(default_factory=Shared, repr=False, compare=False)

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
