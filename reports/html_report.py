"""The HTML report: one self-contained, inert file with a section per team.

Every crawled string is escaped by jinja2's autoescape; a Content-Security-Policy forbids
anything but the inline stylesheet; only http(s) URLs become links.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape

from reports.model import ReportData

__all__ = ["render"]

TEAM_TITLES = {"content": "Content team", "it": "IT / developers"}
REGION_TITLES = {"main": "main content", "header": "page header", "nav": "navigation",
                 "footer": "page footer", "aside": "sidebar", "head": "page head (not visible)"}


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


_env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)
_env.filters["safe_href"] = safe_href
_env.filters["short_url"] = short_url


def render(data: ReportData) -> str:
    return _env.get_template("report.html.j2").render(
        run=data.run, by_team=data.by_team(), counts=data.counts(), team_titles=TEAM_TITLES,
        region_titles=REGION_TITLES, site=data.run.get("site", ""), total=len(data.groups),
    )
