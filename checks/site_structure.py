"""Content organisation of the whole store: click depth, orphans, navigation, essential pages.

Computed once per run over the stored link graph (``links`` of kind a/area), never per page.
The graph pass keeps one map of the URLs reached and reads each page's edges from SQLite as
it goes, so its memory grows with the number of pages, not links.
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import TypeVar
from urllib.parse import urlsplit

from checks.context import RunContext
from checks.registry import Finding, site_check
from crawler.sql import select_in
from crawler.urls import normalize

K = TypeVar("K")

_OK = "status between 200 and 299"
_PAGINATED = re.compile(r"/page/\d+/?$|[?&](?:page|p|pg)=\d+", re.I)


def _start_url(run: RunContext) -> str:
    start = run.db.execute("select start_url from runs where id = ?", [run.run_id]).fetchone()[0]
    start = normalize(start)
    row = run.db.execute("select final_url from fetches where run_id = ? and url = ?", [run.run_id, start]).fetchone()
    return row[0] if row and row[0] else start


def click_depths(run: RunContext, limit: int | None = None) -> dict[str, int]:
    """Fewest clicks from the start page to every page reached (breadth-first over a/area links).

    Redirected links count as links to where they end; one query per page reads its edges,
    by URL id (through the ``links`` view, with each target's fetch, it took 1.8 s at 10,000
    pages instead of 0.5 s). With ``limit``, pages are not expanded past that many clicks.
    """
    start = _start_url(run)
    start_id = run.db.execute("select id from urls where url = ?", [start]).fetchone()
    # Where redirected links end: by id, or by URL when nothing links to the final page itself
    ends: dict[int, int | str] = {}
    for target, final, final_id in run.db.execute(
            "select t.id, f.final_url, u.id from fetches f join urls t on t.url = f.url "
            "left join urls u on u.url = f.final_url "
            "where f.run_id = ? and f.final_url != '' and f.final_url != f.url", [run.run_id]):
        ends[target] = final_id if final_id is not None else final
    first: int | str = start_id[0] if start_id else start
    depth: dict[int | str, int] = {first: 0}
    level = [first]
    sql = ("select distinct target_id from link_edges indexed by idx_link_edges_run_id_source_id "
           "where run_id = ? and source_id = ? and kind in ('a', 'area')")
    d = 0
    while level and (limit is None or d < limit):
        d += 1
        nxt = []
        for page in level:
            if not isinstance(page, int):
                continue  # a final page nothing links to by its own URL has no links of its own stored
            for (target,) in run.db.execute(sql, [run.run_id, page]):
                node = ends.get(target, target)
                if node not in depth:
                    depth[node] = d
                    nxt.append(node)
        level = nxt
    urls = _urls_of(run, [node for node in depth if isinstance(node, int)])
    return {urls[node] if isinstance(node, int) else node: clicks for node, clicks in depth.items()}


def _urls_of(run: RunContext, ids: list[int]) -> dict[int, str]:
    return dict(select_in(run.db.execute, "select id, url from urls where id in ({marks})", ids))  # type: ignore[arg-type]


@dataclass(frozen=True)
class DepthOptions:
    max_clicks: int = field(default=3, metadata={
        "help": "product and category pages more than this many clicks from the start page are reported"})


@site_check("STRUCT006", "deep-page", category="content-structure", severity="warning", team="content",
            title="Product or category page too many clicks from the home page", options=DepthOptions)
def deep_page(run: RunContext, options: DepthOptions) -> Iterator[Finding]:
    """A product or category page takes more than the configured number of clicks to reach
    from the home page (the shortest way through the store's links). Shoppers give up long
    before they get there, and search engines visit and rank such pages less.

    Link the page from a category page, a menu or the home page; add sub-categories or
    filters instead of long chains of "next" pages. Pages not reachable at all are reported
    as sitemap orphans.
    """
    depth = click_depths(run)
    rows = run.db.execute(f"select url, kind from pages where run_id = ? and {_OK} and kind in ('product', 'category')",
                          [run.run_id])
    for url, kind in rows:
        clicks = depth.get(url)
        if clicks is not None and clicks > options.max_clicks:
            yield Finding(code="STRUCT006", page=url, group=url,
                          message=f"{kind.capitalize()} page {clicks} clicks from the home page (maximum {options.max_clicks})",
                          evidence={"element": "a", "region": "main", "clicks": clicks, "kind": kind, "max_clicks": options.max_clicks})


@site_check("STRUCT007", "sitemap-orphan", category="content-structure", severity="warning", team="content",
            title="Page in the sitemap that no page links to")
def sitemap_orphan(run: RunContext, options: None) -> Iterator[Finding]:
    """A page listed in the sitemap is not linked from any page the crawl found. Search
    engines may show it, but shoppers browsing the store can never get there, and nobody
    notices when it goes out of date.

    Link the page from its category or a menu, or take it out of the sitemap (and unpublish
    it) if it should no longer be found.
    """
    start = _start_url(run)
    rows = run.query(f"""
        select distinct s.url from sitemap_entries s join pages p on p.run_id = s.run_id and p.url = s.url
        where s.run_id = :run and p.{_OK} and not exists (
            select 1 from links l where l.run_id = s.run_id and l.target = s.url and l.source != s.url
                                    and l.kind in ('a', 'area'))
    """)
    for row in rows:
        url = row["url"]
        if url == start:
            continue
        # Linked through a redirect?
        linked = any(s != url for (s,) in run.db.execute(
            "select l.source from links l join fetches f on f.run_id = l.run_id and f.url = l.target "
            "where l.run_id = ? and f.final_url = ? and l.kind in ('a', 'area')", [run.run_id, url]))
        if not linked:
            yield Finding(code="STRUCT007", page=url, group=url,
                          message="Listed in the sitemap, but no page of the store links to it",
                          evidence={"element": "url", "region": "main", "sitemap": True})


@site_check("STRUCT008", "sitemap-url-not-ok", category="content-structure", severity="warning", team="content",
            title="Sitemap address that fails or redirects")
def sitemap_url_not_ok(run: RunContext, options: None) -> Iterator[Finding]:
    """The sitemap lists an address that answers with an error (4xx/5xx) or redirects
    elsewhere. Search engines send shoppers to dead pages, or spend their visits on
    addresses the shop itself no longer uses.

    List only the final, working address of each page in the sitemap; remove deleted
    pages from it (most shop platforms regenerate the sitemap: check its settings).
    """
    from checks.context import describe_failure

    rows = run.query("""
        select s.url, f.status, f.error, f.final_url from
            (select distinct url from sitemap_entries where run_id = :run) s
            join fetches f on f.run_id = :run and f.url = s.url
        where f.error != '' or f.status >= 400 or (f.status between 300 and 399)
           or (f.final_url != '' and f.final_url != s.url)
    """)
    for row in rows:
        if row["error"] or (row["status"] or 0) >= 400:
            what, status_class = describe_failure(row["status"], row["error"]), (
                "5xx" if (row["status"] or 0) >= 500 else "4xx" if row["status"] else "error")
            message = f"Sitemap lists an address that fails: {what}"
        else:
            status_class = "3xx"
            message = f"Sitemap lists an address that redirects to {row['final_url']}"
        yield Finding(code="STRUCT008", page=row["url"], target=row["url"], group=row["url"], message=message,
                      status_class=status_class,
                      evidence={"element": "url", "region": "main", "status": row["status"],
                                "final_url": row["final_url"], "sitemap": True})


# -- navigation ------------------------------------------------------------------------

@dataclass(frozen=True)
class NavigationOptions:
    share: float = field(default=0.8, metadata={
        "help": "a header/nav/footer link on at least this share of the pages is expected on all of them"})
    min_pages: int = field(default=5, metadata={"help": "only stores with at least this many pages are compared"})


def _template_pages(run: RunContext) -> int:
    """Pages (2xx) with at least one header/nav/footer link: those that show the shop's template."""
    return run.shared.get("template_pages", lambda: run.db.execute(
        f"select count(*) from pages p where run_id = ? and {_OK} and exists (select 1 from links l "
        "where l.run_id = p.run_id and l.source = p.url and l.region in ('header', 'nav', 'footer'))",
        [run.run_id]).fetchone()[0])


def _template_links(run: RunContext, *, menu_only: bool = False) -> Iterator[tuple[str, str, int]]:
    """(target, link text, pages) of every link in the template regions, with how many pages
    show it there; with ``menu_only``, of the header and menu only."""
    for url, text, pages, menu_text, menu_pages in _template_link_counts(run):
        if not menu_only:
            yield url, text, pages
        elif menu_pages:
            yield url, menu_text or "", menu_pages


def _template_link_counts(run: RunContext) -> list[tuple[str, str, int, str | None, int]]:
    """(target, text, pages, menu text, menu pages) of every header/nav/footer link: the
    pages that show it in any template region, and in the header or menu. One scan for the
    three checks that ask (each scanned alone, ~1.2 s at 10,000 pages)."""
    # On the stored rows, through the source index: the run's rows come in about the order they
    # were written, and one sort of integer ids groups them. Left to itself SQLite walks the
    # target index to skip the sort and reads the table in random order: 5.4 s instead of 1.7 s
    # at 10,000 pages, minutes at 100,000.
    menu = "region in ('header', 'nav')"
    return run.shared.get("template_links", lambda: run.db.execute(
        "select u.url, e.text, e.pages, e.menu_text, e.menu_pages from ("
        "  select target_id, max(text) as text, count(distinct source_id) as pages,"
        f"   max(case when {menu} then text end) as menu_text,"
        f"   count(distinct case when {menu} then source_id end) as menu_pages"
        "  from link_edges indexed by idx_link_edges_run_id_source_id where run_id = ? and kind in ('a', 'area')"
        "  and region in ('header', 'nav', 'footer') group by target_id) e join urls u on u.id = e.target_id",
        [run.run_id]).fetchall())


def _pages_without(run: RunContext, wanted: dict[K, set[str]]) -> Iterator[tuple[K, list[str]]]:
    """For each key of ``wanted``, the template pages (2xx, with header/nav/footer links) with
    none of its URLs among those links, in URL order; a page that is one of them is not counted.

    By URL ids: the template pages once, then for each key the pages that do link to it,
    through the target index. A query per key through the ``links`` view read every page's
    links again, 0.3 s each at 10,000 pages (5 essential pages, and every navigation link
    that some pages lack).
    """
    if not wanted:
        return
    pages = array("q", (page for (page,) in run.db.execute(
        f"select s.id from pages p cross join urls s on s.url = p.url where p.run_id = ? and p.{_OK} "
        "and exists (select 1 from link_edges e where e.run_id = p.run_id and e.source_id = s.id "
        "            and e.region in ('header', 'nav', 'footer')) order by p.url", [run.run_id])))
    for key, urls in wanted.items():
        targets = _url_ids(run, urls)
        linking = {page for (page,) in select_in(
            run.db.execute, "select e.source_id from link_edges e where e.run_id = ? and e.target_id in ({marks}) "
            "and e.region in ('header', 'nav', 'footer')", sorted(targets), [run.run_id])}
        missing = [page for page in pages if page not in linking and page not in targets]
        url_of = _urls_of(run, missing)
        yield key, [url_of[page] for page in missing]


def _url_ids(run: RunContext, urls: set[str]) -> set[int]:
    return {id_ for (id_,) in select_in(run.db.execute, "select id from urls where url in ({marks})", sorted(urls))}


ESSENTIAL: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    # kind: (link text, URL path)
    "contact": (re.compile(r"\bcontact\b|customer (?:service|care)|연락처|문의|고객\s*센터", re.I),
                re.compile(r"/contact|/kontakt|/customer-service", re.I)),
    "delivery": (re.compile(r"\bdelivery\b|\bshipping\b|배송", re.I), re.compile(r"/deliver|/shipping", re.I)),
    "returns": (re.compile(r"\breturns?\b|\brefunds?\b|\bexchanges?\b|반품|교환|환불", re.I),
                re.compile(r"/returns?\b|/refund", re.I)),
    "privacy": (re.compile(r"\bprivacy\b|개인\s*정보", re.I), re.compile(r"/privacy", re.I)),
    "terms": (re.compile(r"\bterms\b|\bconditions\b|\bT&Cs?\b|이용\s*약관|약관", re.I),
              re.compile(r"/terms|/conditions|/agb\b", re.I)),
}


def essential_kinds(target: str, text: str) -> set[str]:
    """Which essential pages (contact, delivery, returns, privacy, terms) a link leads to."""
    path = urlsplit(target).path
    return {kind for kind, (words, url) in ESSENTIAL.items() if words.search(text or "") or url.search(path)}


@dataclass(frozen=True)
class EssentialOptions:
    min_pages: int = field(default=5, metadata={"help": "only sites of at least this many pages are checked (a landing page needs no returns page)"})


@site_check("STRUCT009", "essential-page-missing", category="content-structure", severity="warning",
            team="content", title="Contact, delivery, returns, privacy or terms page missing or not linked everywhere",
            options=EssentialOptions)
def essential_pages(run: RunContext, options: EssentialOptions) -> Iterator[Finding]:
    """The store has no page (linked from its header or footer) for contact, delivery or
    shipping, returns, privacy or terms — or has one, but some pages do not link to it.
    Shoppers look for these before they buy; when they cannot find them they ask customer
    service (which answers these questions today) or leave. Pages are recognised by link text
    and address in English and Korean (연락처/문의, 배송, 반품/교환/환불, 개인정보, 이용약관).

    Write the missing page and link every essential page from the footer of every page
    template (checkout and account templates too).
    """
    if run.db.execute(f"select count(*) from pages where run_id = ? and {_OK}", [run.run_id]).fetchone()[0] < options.min_pages:
        return
    linked: dict[str, set[str]] = {k: set() for k in ESSENTIAL}
    for target, text, _pages in _template_links(run):
        for kind in essential_kinds(target, text):
            linked[kind].add(target)
    missing = [k for k, targets in linked.items() if not targets]
    if missing:
        start = _start_url(run)
        yield Finding(code="STRUCT009", page=start, group="missing " + ",".join(missing),
                      message="No " + ", ".join(missing) + " page linked from the header or footer: customer "
                              "service answers these questions today",
                      evidence={"missing": missing, "note": "customer service answers these questions today",
                                "element": "a", "region": "footer"})
    for kind, pages in _pages_without(run, {kind: targets for kind, targets in linked.items() if targets}):
        for url in pages:
            yield Finding(code="STRUCT009", page=url, target="", group=f"not linked: {kind}",
                          message=f"No link to the {kind} page in this page's header or footer",
                          evidence={"kind": kind, "linked_elsewhere": sorted(linked[kind])[:5], "element": "a",
                                    "region": "footer"})


@site_check("STRUCT010", "navigation-differs", category="content-structure", severity="notice", team="content",
            title="Menu or footer link missing on some page templates", options=NavigationOptions)
def navigation_differs(run: RunContext, options: NavigationOptions) -> Iterator[Finding]:
    """A link of the header, menu or footer that most pages show is missing on some of them:
    those pages use a template with a different navigation. Shoppers who learned where
    things are lose their way on exactly those pages. (Essential pages are STRUCT009's.)

    Make every page template include the same header, menu and footer (one shared include),
    or remove the link everywhere if it should go.
    """
    total = _template_pages(run)
    if total < options.min_pages:
        return
    expected = [(t, text, n) for t, text, n in _template_links(run)
                if n >= options.share * total and n < total and not essential_kinds(t, text)]
    without = _pages_without(run, {target: {target} for target, _text, _pages in expected})
    for (target, text, pages), (_, urls) in zip(expected, without):
        for url in urls:
            yield Finding(code="STRUCT010", page=url, target=target, group=target,
                          message=f'Navigation link "{text[:60]}" shown on {pages} of {total} pages is missing here',
                          evidence={"quote": text, "pages_with_link": pages, "pages": total, "element": "a",
                                    "region": "nav"})


def _categories_reached(run: RunContext, menu: set[str]) -> set[str]:
    """Category pages reached from the ``menu`` links through links from category to
    category pages, walked in SQL on URL ids: at 100,000 pages the category-to-category links
    held as Python strings took ~146 MB, the whole audit's peak."""
    db = run.db
    for table in ("_menu", "_category"):
        db.execute(f"create temp table if not exists {table} (id integer primary key)")
        db.execute(f"delete from {table}")
    db.conn.executemany("insert or ignore into _menu select id from urls where url = ?", [(u,) for u in menu])
    db.execute("insert or ignore into _category select u.id from pages p join urls u on u.url = p.url "
               "where p.run_id = ? and p.kind = 'category'", [run.run_id])
    return {url for (url,) in db.execute(
        """with recursive reached(id) as (
               select id from _menu where id in (select id from _category)
               union
               select e.target_id from reached r
               join link_edges e indexed by idx_link_edges_run_id_source_id on e.run_id = ? and e.source_id = r.id
               where e.kind in ('a', 'area') and e.target_id in (select id from _category))
           select u.url from reached r join urls u on u.id = r.id""", [run.run_id])}


@site_check("STRUCT011", "category-not-in-navigation", category="content-structure", severity="warning",
            team="content", title="Category not reachable from the main navigation", options=NavigationOptions)
def category_not_in_navigation(run: RunContext, options: NavigationOptions) -> Iterator[Finding]:
    """A category page that lists products cannot be reached from the store's main menu,
    neither directly nor through another category. Shoppers who browse by menu never see its
    products. Empty categories are QUAL003's (they should stay out of the menu).

    Add the category to the menu or as a sub-category of a category in the menu.
    """
    total = _template_pages(run)
    if total < options.min_pages:
        return
    menu = {t for t, _text, n in _template_links(run, menu_only=True) if n >= options.share * total}
    categories = {url for (url,) in run.db.execute(
        f"""select p.url from pages p where p.run_id = ? and p.{_OK} and p.kind = 'category' and exists (
              select 1 from links l join pages t on t.run_id = l.run_id and t.url = l.target
              where l.run_id = p.run_id and l.source = p.url and l.region = 'main' and t.kind = 'product')""",
        [run.run_id])}
    reached = menu | _categories_reached(run, menu)
    for url in sorted(categories - reached):
        if _PAGINATED.search(url):
            continue
        yield Finding(code="STRUCT011", page=url, group=url,
                      message="Category page not reachable from the main navigation",
                      evidence={"menu_links": len(menu), "element": "a", "region": "nav"})


@site_check("STRUCT012", "inconsistent-url-style", category="content-structure", severity="notice",
            team="content", title="Address spelled differently from the rest of its section")
def inconsistent_url_style(run: RunContext, options: None) -> Iterator[Finding]:
    """Within one section of the store (``/product/...``), an address uses capital letters or
    a different word separator (``_`` where the others use ``-``) than the rest. Shoppers
    who type or share addresses get them wrong, and the same page can end up under two
    spellings.

    Pick one style per store (lower case, words joined by ``-``), rename the odd addresses
    and redirect their old spelling.
    """
    sections: dict[str, list[tuple[str, str]]] = {}
    for (url,) in run.db.execute(f"select url from pages where run_id = ? and {_OK}", [run.run_id]):
        path = urlsplit(url).path
        section = path.strip("/").split("/", 1)[0].lower() if path.count("/") > 1 else ""
        sections.setdefault(section, []).append((url, path))
    for section, entries in sections.items():
        if len(entries) < 3:
            continue
        paths = [p for _, p in entries]
        slugs = [p.rstrip("/").rsplit("/", 1)[-1] for p in paths]
        seps = Counter("_" if "_" in s and "-" not in s else "-" if "-" in s and "_" not in s else "" for s in slugs)
        usual = max(("-", "_"), key=lambda s: seps[s])
        upper = sum(1 for p in paths if p != p.lower())
        for (url, path), slug in zip(entries, slugs):
            reasons = []
            if path != path.lower() and upper * 2 < len(paths):
                reasons.append("capital letters")
            other = "_" if usual == "-" else "-"
            if seps[usual] * 2 > len(paths) and other in slug:
                reasons.append(f"'{other}' between words where the section uses '{usual}'")
            if reasons:
                yield Finding(code="STRUCT012", page=url, group=url,
                              message=f"Address in /{section}/ with " + " and ".join(reasons),
                              evidence={"section": section, "reasons": reasons, "element": "url", "region": "head"})


_PAGE_PARAMS = frozenset({"page", "p", "pg", "lang", "hl"})


def _same_page_key(url: str) -> str:
    """What two addresses of one page share: host, path without case, trailing slash or index
    file, and only the query parameters that change the content (page number, language)."""
    parts = urlsplit(url)
    path = re.sub(r"/(?:index\.(?:html?|php|aspx?))?$", "", parts.path.lower()) or "/"
    query = "&".join(sorted(q for q in parts.query.split("&") if q.split("=", 1)[0].lower() in _PAGE_PARAMS))
    return f"{parts.netloc.lower()}{path}?{query}"


@site_check("STRUCT013", "duplicate-url-without-canonical", category="content-structure", severity="notice",
            team="content", title="Same page under several addresses without a canonical link")
def duplicate_url_without_canonical(run: RunContext, options: None) -> Iterator[Finding]:
    """The same page answers under several addresses (``/Kitchen/`` and ``/kitchen``, or
    with a sort or filter parameter) and this address has no ``<link rel="canonical">``
    saying which one is the page. Search engines split its ranking between the copies or
    show the wrong one, and shoppers share and bookmark different addresses for one page.

    Link one spelling everywhere, redirect the others to it, and give every variant a
    canonical link to the main address.
    """
    # Sorted by key in SQLite, one group at a time in Python: every page's address and key
    # held in a dict took ~48 MB at 100,000 pages, at the end of the audit.
    run.db.conn.create_function("same_page_key", 1, _same_page_key, deterministic=True)
    rows = run.db.execute(
        f"""select same_page_key(p.url) as k, p.url, exists (
              select 1 from link_edges e where e.run_id = p.run_id and e.kind = 'canonical'
              and e.source_id = (select id from urls where url = p.url))
            from pages p where p.run_id = ? and p.{_OK} order by k, p.url""", [run.run_id])
    for key, group in groupby(rows, key=lambda row: row[0]):
        entries = [(url, has_canonical) for _, url, has_canonical in group]
        if len(entries) < 2:
            continue
        urls = [url for url, _ in entries]
        for url, has_canonical in entries:
            if not has_canonical:
                others = [u for u in urls if u != url]
                yield Finding(code="STRUCT013", page=url, group=key,
                              message=f"Same page as {others[0]}" + (f" (and {len(others) - 1} more)" if len(others) > 1 else "")
                                      + ", and no canonical link",
                              evidence={"element": "link", "region": "head", "addresses": sorted(urls)[:10]})
