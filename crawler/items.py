"""Items: the facts the spider emits. The pipeline stores them; checks judge them later."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crawler.extract import ParsedPage

if TYPE_CHECKING:
    from checks.registry import Finding

__all__ = ["FetchItem", "PageItem", "SitemapEntryItem"]


@dataclass(slots=True)
class FetchItem:
    """The outcome of requesting one URL (once per run), after following its redirects.

    ``chain`` lists each redirect hop as ``[status, next_url]``; ``error`` is
    ``kind: detail`` with kind one of timeout, dns, tls, connection, redirect-loop,
    too-many-redirects, bad-redirect, too-large, error; ``skipped`` says why a URL was
    deliberately not requested (robots, excluded, external-not-checked).
    """

    url: str
    method: str = "GET"
    status: int | None = None
    error: str = ""
    skipped: str = ""
    content_type: str = ""
    size: int | None = None
    final_url: str = ""
    chain: list[list[object]] = field(default_factory=list)
    elapsed_ms: int | None = None
    same_site: bool = True
    last_modified: str = ""


@dataclass(slots=True)
class PageItem:
    """A same-site HTML page that was parsed: its fetch, its facts and its references."""

    fetch: FetchItem
    page: ParsedPage
    #: the page checks' findings when a worker process ran them (crawler/page_work.py); None:
    #: the pipeline runs them on the tree
    findings: list[Finding] | None = None


@dataclass(slots=True)
class SitemapEntryItem:
    """One ``<url>`` of a sitemap of the store: its address and the ``lastmod`` it claims."""

    url: str
    lastmod: str = ""
