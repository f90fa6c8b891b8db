"""The HTML report: one self-contained, inert file with an overview and a section per team.

Every crawled string is escaped by jinja2's autoescape and only http(s) URLs become links.
A Content-Security-Policy allows the inline stylesheet and exactly one inline script, named by
its SHA-256 hash (computed here, when rendering): the filters work, nothing crawled can run.
The report is complete without the script: filters are hidden until it runs, groups are
``<details>`` elements, and printing opens them all.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape
from jinja2.bccache import Bucket
from markupsafe import Markup, escape

from checks.registry import SEVERITY_RANK, Check
from reports.model import Group, Instance, ReportData

__all__ = ["render", "stream"]

class _TeamTitles(dict[str, str]):
    """Titles of the built-in teams; a configured team reads as "Marketing team"."""

    def get(self, team: str, default: str | None = None) -> str:  # type: ignore[override]
        return super().get(team) or f"{team.replace('-', ' ').replace('_', ' ').capitalize()} team"


TEAM_TITLES = _TeamTitles({"content": "Content team", "it": "IT / developers"})
TEAM_COLOURS = ["#1570ef", "#c4320a", "#079455", "#6941c6", "#b54708", "#dd2590"]
REGION_TITLES = {"main": "main content", "header": "page header", "nav": "navigation",
                 "footer": "page footer", "aside": "sidebar", "head": "page head (not visible)"}
MAX_INSTANCES = 200  # pages listed per defect; every instance is in the JSON and CSV output
OPEN_GROUPS = 12  # defects shown expanded per team when the report opens


def safe_href(url: str) -> str | None:
    """The URL if it is http(s) and may be a link in the report; None otherwise."""
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def short_url(url: str, site: str = "") -> str:
    parts = urlsplit(url)
    if site and parts.netloc == site:
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "") + (
            f"#{parts.fragment}" if parts.fragment else "")
    return url


def when(iso: str | None) -> str:
    """``2026-11-25T03:14:06+00:00`` as ``2026-11-25 03:14 UTC``: readable, still exact enough."""
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if moment.utcoffset() == timedelta(0) else "")


_LITERAL = re.compile(r"``(.+?)``")


def doc_text(text: str) -> Markup:
    """A check's documentation (reStructuredText-ish) as HTML: ``literal`` becomes <code>."""
    return Markup(_LITERAL.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text))))


def by_check(groups: list[Group]) -> list[tuple[Check, list[Group]]]:
    """A team's defects grouped by check, the check with the worst defect first."""
    out: dict[str, list[Group]] = defaultdict(list)
    for g in groups:  # already worst first
        out[g.code].append(g)
    return [(gs[0].check, gs) for gs in out.values()]


def search_text(g: Group, shown: list[Instance]) -> str:
    """What the free-text filter searches: subject, message, and the pages listed (``shown``)
    with their titles and quoted text."""
    parts = [g.code, g.check.title, g.target, g.message]
    for i in shown:
        ev = i.evidence
        parts += [i.page, i.title, str(ev.get("text") or ev.get("quote") or "")]
    return " ".join(p for p in parts if p).lower()


def trend_chart(points: list[dict[str, Any]], teams: list[str], *, width: int = 640,
                height: int = 180) -> dict[str, Any]:
    """Coordinates for the inline SVG trend of open defects per team (no scripts, no CDN)."""
    left, right, top, bottom = 36, 12, 12, 28
    top_value = max([1] + [p["teams"].get(t, 0) for p in points for t in teams])
    step = (width - left - right) / max(1, len(points) - 1)

    def xy(i: int, n: int) -> tuple[float, float]:
        return (round(left + i * step, 1), round(top + (height - top - bottom) * (1 - n / top_value), 1))

    lines = []
    for k, team in enumerate(teams):
        dots = [(*xy(i, p["teams"].get(team, 0)), p["teams"].get(team, 0), p) for i, p in enumerate(points)]
        lines.append({"team": team, "colour": TEAM_COLOURS[k % len(TEAM_COLOURS)], "dots": dots,
                      "path": " ".join(f"{x},{y}" for x, y, _, _ in dots)})
    ticks = [(round(xy(i, 0)[0], 1), p) for i, p in enumerate(points)]
    return {"width": width, "height": height, "lines": lines, "ticks": ticks, "max": top_value,
            "top": top, "base": height - bottom, "left": left, "right": width - right}


class TemplateCache(FileSystemBytecodeCache):
    """jinja2's cache of compiled templates, which never stops a report: compiling the report's
    template took ~0.1 s of every audit's end. The code is kept in a folder of the user's own
    under the temporary directory and compiled again when the template's source changes; a
    folder that cannot be read or written is only slower."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unreadable or damaged: compiled again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:  # a full disk, a folder gone or read-only
            pass


def _template_cache() -> TemplateCache | None:
    try:
        return TemplateCache()
    except (OSError, RuntimeError):  # no folder of the user's own can be made: no cache
        return None


_env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True, bytecode_cache=_template_cache())
_env.filters["safe_href"] = safe_href
_env.filters["short_url"] = short_url
_env.filters["search_text"] = search_text
_env.filters["when"] = when
_env.filters["doc"] = doc_text
_SCRIPT = files("reports").joinpath("templates", "report.js").read_text(encoding="utf-8")
_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode()


def render(data: ReportData) -> str:
    return "".join(stream(data))


def stream(data: ReportData) -> Iterator[str]:
    """The report in pieces, for writing to a file as it renders: the report of a 100,000-page
    audit is ~100 MB of HTML, which need not be held in memory, nor its UTF-8 copy."""
    by_team = data.by_team()
    categories = sorted({g.category for g in data.groups})
    return _env.get_template("report.html.j2").generate(
        run=data.run, data=data, by_team=by_team, checks_by_team={t: by_check(gs) for t, gs in by_team.items()},
        counts=data.counts(), by_category=data.by_category(), categories=categories,
        severities=list(SEVERITY_RANK), team_titles=TEAM_TITLES, region_titles=REGION_TITLES,
        site=data.run.get("site", ""), total=len(data.groups), max_instances=MAX_INSTANCES,
        open_groups=OPEN_GROUPS, chart=trend_chart(data.trend, data.teams) if len(data.trend) > 1 else None,
        fixed_by_team={t: [g for g in data.fixed if g.team == t] for t in data.teams},
        script=Markup(_SCRIPT), csp_script=_SCRIPT_HASH,
    )
