"""Link checks: pages that link to something a shopper cannot reach."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote

from checks.context import RunContext
from checks.references import broken_references, reference_finding
from checks.registry import Finding, site_check

PAGE_LINK_KINDS = ("a", "area", "iframe", "canonical")


@site_check("LINK001", "broken-internal-link", category="broken-link", severity="error", team="content",
            title="Link to a page of the store that does not work")
def broken_internal_link(run: RunContext, options: None) -> Iterator[Finding]:
    """A link to a page of this store answers with an error (4xx or 5xx) or does not answer.
    A shopper who follows it lands on an error page and often leaves the store.

    Correct or remove the link. If the page moved, link to its new address (and have the old
    address redirect there); if it is gone for good, link to the closest live page. A 5xx or
    time-out means the page itself is failing: IT should look at the server.
    """
    for row in broken_references(run, PAGE_LINK_KINDS, same_site=True):
        yield reference_finding("LINK001", row, "Link to a store page that fails: {failure}")


@site_check("LINK002", "broken-external-link", category="broken-link", severity="warning", team="content",
            title="Link to another site that does not work")
def broken_external_link(run: RunContext, options: None) -> Iterator[Finding]:
    """A link to another website (a supplier, a recipe, a social profile) answers with an
    error or does not answer. Shoppers who follow it hit a dead end and lose trust in the page.
    Other sites' 401, 403 and 429 answers are not reported: those are bot walls, not dead links.

    Find the page's new address on the other site, or remove the link. Links to sites you do
    not control go stale: prefer linking to stable pages (home pages, official documents).
    """
    for row in broken_references(run, PAGE_LINK_KINDS, same_site=False):
        yield reference_finding("LINK002", row, "Link to another site that fails: {failure}")


@site_check("LINK003", "redirect-loop-or-long-chain", category="broken-link", severity="error", team="it",
            title="Redirect loop, over-long redirect chain or redirect to a non-web address")
def redirect_problem(run: RunContext, options: None) -> Iterator[Finding]:
    """A referenced URL redirects in a circle, through more hops than the configured limit
    (crawl.max_redirects), or to an address that is not a web page. Browsers give up on loops
    with an error; every hop of a long chain adds a round trip and loses search ranking.

    Point the redirect (usually a rule in the platform or web server) straight at the final
    page, and update the link to use the final address. The finding lists every hop.
    """
    for row in broken_references(run, ("a", "area", "iframe", "canonical", "img", "srcset", "source",
                                       "data-src", "og:image", "stylesheet", "script"),
                                 redirect_errors=True):
        kind = (row["error"] or "").split(":", 1)[0]
        what = {"redirect-loop": "Redirect loop", "too-many-redirects": "Redirect chain too long",
                "bad-redirect": "Redirect to a non-web address"}.get(kind, "Redirect problem")
        yield reference_finding("LINK003", row, what + ": {failure}")


@dataclass(frozen=True)
class FragmentOptions:
    ignore: tuple[str, ...] = field(default=("top",), metadata={"help": "fragments that need no matching id ('#top' scrolls to the top in every browser)"})


@site_check("LINK004", "missing-fragment-target", category="broken-link", severity="warning", team="content",
            title="Link to a section of a page that does not exist", options=FragmentOptions)
def missing_fragment(run: RunContext, options: FragmentOptions) -> Iterator[Finding]:
    """A link points at a section of a page (``page#section``) but that page has no element
    with that id, so the shopper lands at the top of the page instead of the answer they
    were promised (delivery times, size tables, returns rules).

    Add the id to the section the link means, or change the link's fragment to an id that
    exists. Fragments used by scripts (``#/route``, ``#!``, ``#:~:text=``) are not checked.
    """
    ignored = set(options.ignore)

    @lru_cache(maxsize=256)
    def ids_of(raw: str) -> frozenset[str]:
        return frozenset(json.loads(raw or "[]"))

    rows = run.query("""
        select l.source as page, l.target, l.fragment, group_concat(distinct l.text) as texts,
               group_concat(distinct l.region) as regions, p.ids
        from links l join pages p on p.run_id = l.run_id and p.url = l.target
        where l.run_id = :run and l.fragment != '' and l.kind in ('a', 'area')
        group by l.source, l.target, l.fragment
    """)
    for row in rows:
        fragment = unquote(row["fragment"])
        if fragment in ignored or fragment[:1] in ("!", "/", ":") or "=" in fragment:
            continue
        if fragment in ids_of(row["ids"]):
            continue
        regions = (row["regions"] or "main").split(",")
        region = next((r for r in regions if r in ("header", "nav", "footer")), regions[0])
        texts = [t for t in (row["texts"] or "").split(",") if t]
        target = f"{row['target']}#{row['fragment']}"
        yield Finding(code="LINK004", page=row["page"], target=target, group=target,
                      message=f"Link to section #{fragment}, which the page does not have",
                      evidence={"element": "a", "text": texts[0] if texts else "", "region": region,
                                "fragment": fragment},
                      region=region)


@site_check("LINK005", "broken-stylesheet-or-script", category="broken-link", severity="error", team="it",
            title="Stylesheet or script that does not load")
def broken_asset(run: RunContext, options: None) -> Iterator[Finding]:
    """A stylesheet or script the page loads answers with an error or does not answer. The
    page then shows unstyled or without working buttons, menus or basket, often without any
    visible error message.

    Restore the file at that address or correct the reference in the page template; check the
    build or deployment that publishes the store's assets.
    """
    for row in broken_references(run, ("stylesheet", "script")):
        yield reference_finding("LINK005", row, "Stylesheet or script that fails to load: {failure}")
