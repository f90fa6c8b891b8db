"""The check registry: every check, its stable code and the documentation users read.

A check is a small function registered with :func:`page_check`, :func:`site_check` or
:func:`flow_check`. Its docstring is the user's documentation (`storeaudit explain CODE`, the
HTML report, docs/checks.md) and has two paragraphs: what it finds and why it hurts a shopper,
then how to fix it. Codes are unique and never reused; retired codes stay listed in
:data:`RETIRED` so they cannot come back with another meaning.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CATEGORIES",
    "REGISTRY",
    "RETIRED",
    "SEVERITIES",
    "Check",
    "Finding",
    "flow_check",
    "page_check",
    "site_check",
]

SEVERITIES = ("error", "warning", "notice")
SEVERITY_RANK = {"error": 3, "warning": 2, "notice": 1}
CATEGORIES = (
    "broken-link",
    "broken-image",
    "checkout",
    "stale-content",
    "complex-text",
    "error-message",
    "content-quality",
    "content-structure",
    "store-data",
    "seo",
    "performance",
    "security",
)
Kind = Literal["page", "site", "flow"]

#: Codes that once existed and must never be given to another check.
RETIRED: dict[str, str] = {}


@dataclass
class Finding:
    """One instance of a defect: a check's raw result before routing gives it a team.

    ``group`` names the defect shared by several pages (a broken target, a quoted sentence);
    instances with the same code and group are one defect shown once with its pages.
    ``status_class`` and ``region`` feed routing: "5xx" on the store's own host goes to IT,
    a defect in header/nav/footer is a template defect.
    """

    code: str
    page: str
    message: str
    target: str = ""
    group: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    region: str = "main"
    status_class: str = ""
    own_host: bool = True
    template: bool = False


@dataclass(frozen=True)
class Check:
    code: str
    name: str
    category: str
    title: str
    severity: str
    team: str
    kind: Kind
    func: Callable[..., Iterable[Finding]]
    options: type | None = None
    #: A team that takes the check's findings when the config lists it in ``report.teams``
    #: (e.g. ``marketing`` for promotions); otherwise ``team`` does.
    preferred_team: str = ""

    def default_team(self, teams: Iterable[str]) -> str:
        """The team the check's findings go to before routing rules: preferred if configured."""
        return self.preferred_team if self.preferred_team and self.preferred_team in teams else self.team

    @property
    def team_label(self) -> str:
        return f"{self.preferred_team} if configured, else {self.team}" if self.preferred_team else self.team

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")

    @property
    def explanation(self) -> str:
        """First paragraph of the docstring: what the check finds and why it matters."""
        return self.doc.split("\n\n", 1)[0].replace("\n", " ")

    @property
    def fix(self) -> str:
        """The rest of the docstring: how to fix it."""
        parts = self.doc.split("\n\n", 1)
        return parts[1].replace("\n", " ").strip() if len(parts) > 1 else ""

    def option_fields(self) -> dict[str, Any]:
        if self.options is None:
            return {}
        return {f.name: _field_default(f) for f in dataclasses.fields(self.options)}

    def option_help(self, name: str) -> str:
        if self.options is None:
            return ""
        for f in dataclasses.fields(self.options):
            if f.name == name:
                return f.metadata.get("help", "")
        return ""

    def make_options(self, settings: dict[str, Any]) -> Any:
        """The check's options dataclass with config values applied (None if it has none)."""
        if self.options is None:
            return None
        fields = self.option_fields()
        return self.options(**{k: v for k, v in settings.items() if k in fields})


def _field_default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    raise TypeError(f"check option {f.name} needs a default")


REGISTRY: dict[str, Check] = {}


def _register(kind: Kind, code: str, name: str, *, category: str, title: str, severity: str,
              team: str, options: type | None = None, preferred_team: str = "") -> Callable[[Callable[..., Iterable[Finding]]], Callable[..., Iterable[Finding]]]:
    if code in REGISTRY or code in RETIRED:
        raise ValueError(f"check code {code} is already taken")
    if category not in CATEGORIES:
        raise ValueError(f"{code}: unknown category {category!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"{code}: unknown severity {severity!r}")

    def decorate(func: Callable[..., Iterable[Finding]]) -> Callable[..., Iterable[Finding]]:
        if not func.__doc__ or "\n\n" not in inspect.cleandoc(func.__doc__):
            raise ValueError(f"{code}: the docstring must say what it finds, a blank line, then how to fix it")
        REGISTRY[code] = Check(code, name, category, title, severity, team, kind, func, options, preferred_team)
        return func

    return decorate


def page_check(code: str, name: str, **meta: Any) -> Callable[..., Any]:
    """Register a check that reads one parsed page: ``func(page, options, context) -> findings``."""
    return _register("page", code, name, **meta)


def site_check(code: str, name: str, **meta: Any) -> Callable[..., Any]:
    """Register a check that queries one run in the database: ``func(run, options) -> findings``."""
    return _register("site", code, name, **meta)


def flow_check(code: str, name: str, **meta: Any) -> Callable[..., Any]:
    """Register a check over the outcome of a checkout flow."""
    return _register("flow", code, name, **meta)


def checks_of_kind(kind: Kind) -> list[Check]:
    return [c for c in REGISTRY.values() if c.kind == kind]
