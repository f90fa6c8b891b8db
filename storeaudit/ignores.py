"""Accepted findings: `storeaudit ignore FINGERPRINT --reason ...` and `[[ignore]]` config rules.

Ignored findings are left out of gates and of the report's main sections, and listed
separately with their reason, so nothing silently disappears. Both sources are read from the
database: the ``ignores`` table, and the rules a run's config had (``runs.settings``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from config import IgnoreRule

__all__ = ["Ignores"]


@dataclass
class Ignores:
    by_fingerprint: dict[str, str] = field(default_factory=dict)
    rules: list[IgnoreRule] = field(default_factory=list)

    @classmethod
    def load(cls, db: sqlite_utils.Database, run: Mapping[str, Any] | None = None) -> Ignores:
        stored = {}
        if db["ignores"].exists():
            stored = {r["fingerprint"]: r["reason"] for r in db["ignores"].rows}
        raw: Iterable[dict[str, str]] = (run or {}).get("settings", {}).get("ignore", []) or []
        return cls(by_fingerprint=stored, rules=[IgnoreRule(**r) for r in raw])

    def __bool__(self) -> bool:
        return bool(self.by_fingerprint or self.rules)

    def reason(self, *, fingerprint: str, code: str, page: str) -> str | None:
        """Why this finding is accepted, or None when it is not ignored."""
        if fingerprint in self.by_fingerprint:
            return self.by_fingerprint[fingerprint]
        path = urlsplit(page).path or "/"
        for rule in self.rules:
            if rule.matches(fingerprint=fingerprint, code=code, path=path):
                return rule.reason
        return None
