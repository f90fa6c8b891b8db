"""Content organisation, page by page: headings, empty pages, URLs and tracking parameters.

Site-wide organisation (click depth, orphans, navigation, essential pages) is in
:mod:`checks.site_structure`; these checks read one parsed page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from checks.context import PageContext
from checks.registry import Finding, page_check
from checks.text_content import main_blocks
from crawler.extract import ParsedPage
from crawler.urls import any_glob, host_key

_HEADING = re.compile(r"^h([1-6])$")


def _ok_page(page: ParsedPage) -> bool:
    return page.root is not None and 200 <= page.status < 300


def _headings(page: ParsedPage) -> list[tuple[int, str, str]]:
    """(level, text, region) of every heading with text, in document order."""
    out = []
    for el in page.root.iter("h1", "h2", "h3", "h4", "h5", "h6"):  # type: ignore[union-attr]
        text = " ".join(el.text_content().split())
        if text:
            out.append((int(el.tag[1]), text, page.region(el)))
    return out


@page_check("STRUCT001", "h1-count", category="content-structure", severity="warning", team="content",
            title="Page without a main heading, or with several")
def h1_count(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """The page has no ``<h1>`` heading, or more than one. The ``h1`` says what the page is
    about: screen-reader users jump to it, shoppers scanning the page look for it, and search
    engines read it as the page's topic. Two of them leave both unsure which one counts.

    Give every page exactly one ``h1`` that names its content (the product name, the category,
    the article's title); make other large headlines ``h2`` or style them without a heading tag.
    """
    if not _ok_page(page):
        return
    h1s = [(text, region) for level, text, region in _headings(page) if level == 1]
    if len(h1s) == 1:
        return
    if not h1s:
        yield Finding(code="STRUCT001", page=page.url, group=page.url, message="Page has no h1 heading",
                      evidence={"element": "h1", "region": "main", "h1": 0})
        return
    yield Finding(code="STRUCT001", page=page.url, group=page.url,
                  message=f"Page has {len(h1s)} h1 headings: " + ", ".join(f'"{t[:60]}"' for t, _ in h1s[:5]),
                  evidence={"element": "h1", "region": h1s[1][1], "h1": len(h1s), "quote": h1s[1][0][:300],
                            "headings": [t[:120] for t, _ in h1s[:10]]})


@page_check("STRUCT002", "skipped-heading-level", category="content-structure", severity="notice", team="content",
            title="Heading levels skipped in the page's content")
def skipped_heading_level(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """A heading in the page's content jumps more than one level down from the heading before
    it (an ``h2`` followed by an ``h4``). Screen-reader users navigate by heading level and
    think they missed a section; the outline of the page no longer matches what it shows.

    Use the next level down for a sub-section (``h2`` → ``h3``) and change the look with the
    style sheet, not by picking a smaller heading tag.
    """
    if not _ok_page(page):
        return
    previous: tuple[int, str] | None = None
    for level, text, region in _headings(page):
        if region != "main":
            continue
        if previous is not None and level > previous[0] + 1:
            yield Finding(code="STRUCT002", page=page.url, group=f"{page.url} h{level} {text[:80]}",
                          message=f'h{level} "{text[:80]}" follows h{previous[0]} "{previous[1][:80]}"',
                          evidence={"element": f"h{level}", "region": "main", "quote": text[:300],
                                    "after": f"h{previous[0]}"})
        previous = (level, text)


@page_check("STRUCT003", "empty-main-content", category="content-structure", severity="warning", team="content",
            title="Page with nothing in its main content")
def empty_main_content(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """The page shows its header, menu and footer but no text or image of its own: a shopper
    who followed a link there finds nothing and leaves.

    Fill the page or remove it (and the links to it); when it is filled by a script, check
    that the script's data source still answers.
    """
    if not _ok_page(page):
        return
    if any(b.text.strip() for b in main_blocks(page)):
        return
    root = page.root
    if any(page.region(el) == "main" for el in root.iter("img", "video", "picture", "iframe", "form")):  # type: ignore[union-attr]
        return
    yield Finding(code="STRUCT003", page=page.url, group=page.url, message="The page's main content is empty",
                  evidence={"element": "main", "region": "main", "quote": page.title})


@dataclass(frozen=True)
class LongUrlOptions:
    max_length: int = field(default=115, metadata={"help": "a page address longer than this many characters is reported"})


@page_check("STRUCT004", "long-url", category="content-structure", severity="notice", team="content",
            title="Link to an overly long page address", options=LongUrlOptions)
def long_url(page: ParsedPage, options: LongUrlOptions, context: PageContext) -> Iterator[Finding]:
    """A link to a page of the store uses an address longer than the configured maximum.
    Long addresses are cut off in search results and chat messages, cannot be read out or
    typed, and usually mean the shop put ids, session data or the whole category path into them.

    Give the page a short, readable address (``/product/copper-kettle``), redirect the old
    one to it and link the short one.
    """
    if not _ok_page(page):
        return
    seen = set()
    for ref in page.refs:
        if ref.kind not in ("a", "area") or len(ref.url) <= options.max_length or ref.url in seen \
                or host_key(ref.url) not in context.site_hosts:
            continue
        seen.add(ref.url)
        yield Finding(code="STRUCT004", page=page.url, target=ref.url, group=ref.url,
                      message=f"Link to an address of {len(ref.url)} characters (maximum {options.max_length})",
                      evidence={"element": ref.kind, "region": ref.region, "quote": ref.text, "length": len(ref.url)},
                      region=ref.region)


def tracking_params(url: str, ignore: list[str] | tuple[str, ...]) -> list[str]:
    """Names of the query (or ``;path``) parameters of ``url`` that match the ignore globs."""
    if "?" not in url and ";" not in url:  # most links: no parameters to look at
        return []
    return list(_tracking_params(url, tuple(ignore)))


@lru_cache(maxsize=4096)
def _tracking_params(url: str, ignore: tuple[str, ...]) -> tuple[str, ...]:
    """Cached: the links with parameters are mostly the menu's and footer's, the same on
    every page (~40 a product page on the bench store, ~0.25 ms)."""
    parts = urlsplit(url)
    names = [k for k, _ in parse_qsl(parts.query, keep_blank_values=True)]
    names += [seg.split("=", 1)[0] for part in parts.path.split("/") if ";" in part for seg in part.split(";")[1:]]
    matches = any_glob(tuple(g.lower() for g in ignore))
    return tuple(n for n in dict.fromkeys(names) if matches(n.lower()) is not None)


@page_check("STRUCT005", "tracking-parameter-in-internal-link", category="content-structure", severity="warning",
            team="content", title="Internal link carrying a tracking or session parameter")
def tracking_parameter_link(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """A link from one page of the store to another carries a tracking or session parameter
    (``utm_source``, ``gclid``, ``sessionid``, ... as listed in ``crawl.ignore_params``).
    Shoppers who share or bookmark the address pass on the campaign (spoiling the analytics)
    or someone's session; search engines see the same page under many addresses.

    Link to the plain address; tag campaigns only in links from outside the shop (e-mails,
    adverts), and keep sessions in cookies.
    """
    if not _ok_page(page):
        return
    ignore = context.config["crawl.ignore_params"]
    for ref in page.refs:
        if ref.kind not in ("a", "area"):
            continue
        written = ref.raw or ref.url  # the crawl keys links without the parameters; ``raw`` keeps them
        if ("?" not in written and ";" not in written) or host_key(ref.url) not in context.site_hosts:
            continue  # no parameters (most links: tested first, it spares the host), or not the store's
        found = tracking_params(written, ignore)
        if found:
            yield Finding(code="STRUCT005", page=page.url, target=written, group=written,
                          message=f"Internal link with tracking/session parameter(s) {', '.join(found)}",
                          evidence={"element": ref.kind, "region": ref.region, "quote": ref.text,
                                    "params": found}, region=ref.region)
