"""Placeholder and thin content: pages that look unfinished to a shopper or to a search engine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from checks.context import PageContext, RunContext
from checks.page_kinds import CATEGORY_URLS, PRODUCT_URLS, is_product_page, path_matches
from checks.registry import Finding, page_check, site_check
from checks.text_content import main_blocks, sentences, visible_text_lower, word_count
from crawler.extract import ParsedPage
from crawler.urls import resolve

_LOREM = re.compile(r"\blorem ipsum\b", re.I)
_PRODUCT_PLACEHOLDER = re.compile(
    r"\b(?:TBD|TBC|TODO|FIXME)\b"
    r"|(?i:\bcoming soon\b|\bdescription (?:to follow|coming soon)\b|\bplaceholder (?:text|copy|description)\b"
    r"|\binsert (?:text|copy|description) here\b)")


_PLACEHOLDER_WORDS = ("lorem", "tbd", "tbc", "todo", "fixme", "coming soon", "to follow", "placeholder", "insert")


def _ok_page(page: ParsedPage) -> bool:
    return page.root is not None and 200 <= page.status < 300


@page_check("QUAL001", "placeholder-text", category="content-quality", severity="error", team="content",
            title="Placeholder text left on the page")
def placeholder_text(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """The page shows text that was only meant as a stand-in: "Lorem ipsum" anywhere, or on
    a product page "TBD", "TODO", "coming soon" or "description to follow". Shoppers take it
    as a sign the shop is unfinished, and cannot learn what they would be buying.

    Replace the placeholder with the real copy, or unpublish the page (or product) until
    the copy is ready.
    """
    if not _ok_page(page):
        return
    product = is_product_page(page)
    blocks = main_blocks(page)
    wanted = _PLACEHOLDER_WORDS if product else ("lorem",)
    if not any(w in visible_text_lower(page) for w in wanted):
        return  # most pages: one look at the page's text (shared with ERR001) instead of one per block
    everything = "\n".join(b.text for b in blocks).lower()
    if not any(w in everything for w in wanted):
        return  # only the menu or the footer has the word
    for block in blocks:
        low = block.text.lower()
        if block.code or not any(w in low for w in wanted):
            continue
        found = [m.group(0) for m in _LOREM.finditer(block.text)]
        if product:
            found += [m.group(0) for m in _PRODUCT_PLACEHOLDER.finditer(block.text)]
        if found:  # one finding per block, naming every placeholder in it
            phrase = found[0]
            quote = next((s for s in sentences(block.text) if phrase in s), block.text)
            yield Finding(code="QUAL001", page=page.url, group=block.text[:200].lower(),
                          message="Placeholder text: " + ", ".join(f'"{p}"' for p in dict.fromkeys(found)),
                          evidence={"quote": quote[:300] if len(found) == 1 else block.text[:300],
                                    "phrases": list(dict.fromkeys(found)), "element": block.tag, "region": "main"})


@dataclass(frozen=True)
class ThinOptions:
    min_words: int = field(default=20, metadata={"help": "a product description with fewer words is reported"})


def product_description(page: ParsedPage) -> str | None:
    """The product's description: schema.org ``description`` (microdata, JSON-LD) or an element
    whose class or id says description; None when the page has none to find."""
    root = page.root
    assert root is not None
    for el in page.schema().microdata("description"):
        if el.tag != "meta":
            return el.text_content()
    for obj in page.schema().objects:
        if str(obj.get("@type", "")).lower() == "product" and isinstance(obj.get("description"), str):
            return str(obj["description"])
    for el in root.iter("div", "section", "p"):
        hint = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
        if re.search(r"(?:^|[-_ ])(?:product-)?description(?:$|[-_ ])", hint) and page.region(el) == "main":
            return el.text_content()
    return None


@page_check("QUAL002", "thin-product-description", category="content-quality", severity="warning", team="content",
            title="Product description too short to sell the product", options=ThinOptions)
def thin_description(page: ParsedPage, options: ThinOptions, context: PageContext) -> Iterator[Finding]:
    """A product page's description has fewer words than the configured minimum. Shoppers
    cannot tell size, material or use from it and buy elsewhere (or return it); search
    engines rank thin pages low.

    Write a description that answers what shoppers ask: what it is, what it is made of, its
    size, how to use and care for it. The description is read from schema.org
    ``description`` or an element whose class or id is "description".
    """
    if not _ok_page(page) or not is_product_page(page):
        return
    text = product_description(page)
    if text is None:
        return
    count = word_count(text, options.min_words)  # all of them when there are fewer
    if count < options.min_words:
        quote = " ".join(text.split())[:300]
        yield Finding(code="QUAL002", page=page.url, group=page.url,
                      message=f"Product description of {count} words (minimum {options.min_words})",
                      evidence={"quote": quote, "words": count, "element": "description", "region": "main"})


@dataclass(frozen=True)
class CategoryOptions:
    category_urls: tuple[str, ...] = field(default=CATEGORY_URLS,
                                           metadata={"help": "URL path globs of category (listing) pages"})
    product_urls: tuple[str, ...] = field(default=PRODUCT_URLS, metadata={"help": "URL path globs of product pages"})


@page_check("QUAL003", "empty-category-page", category="content-quality", severity="warning", team="content",
            title="Category page that lists no products", options=CategoryOptions)
def empty_category(page: ParsedPage, options: CategoryOptions, context: PageContext) -> Iterator[Finding]:
    """A category page (by URL pattern) lists no products: no link in its main content leads
    to a product page. Shoppers who click a menu entry and find nothing assume the shop has
    nothing for them.

    Add products to the category, or hide the category from menus and links until it has
    some (and redirect its address to a related category).
    """
    if not _ok_page(page) or not path_matches(page.url, options.category_urls):
        return
    if any(r.kind == "a" and r.region == "main" and path_matches(r.url, options.product_urls) for r in page.refs):
        return
    yield Finding(code="QUAL003", page=page.url, group=page.url, message="Category page lists no products",
                  evidence={"quote": page.title, "element": "main", "region": "main"})


@page_check("QUAL004", "image-without-alt-text", category="content-quality", severity="warning", team="content",
            title="Content image without alt text")
def image_without_alt(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """An image in the page's content has no ``alt`` attribute. Shoppers using screen readers
    hear the file name or nothing, and search engines cannot tell what the product picture
    shows. Decorative images marked ``alt=""`` (or role="presentation") are fine and not reported.

    Add an ``alt`` text that says what the image shows ("Copper kettle on a gas hob"); give
    purely decorative images an empty ``alt=""``.
    """
    if not _ok_page(page):
        return
    for img in page.root.iter("img"):  # type: ignore[union-attr]
        if img.get("alt") is not None or (img.get("role") or "").lower() in ("presentation", "none") \
                or (img.get("aria-hidden") or "").lower() == "true" or img.get("width") in ("0", "1"):
            continue
        region = page.region(img)
        if region != "main":
            continue
        src = img.get("src") or img.get("data-src") or ""
        resolved = resolve(page.url, src) if src else None
        target = resolved[0] if resolved else src
        yield Finding(code="QUAL004", page=page.url, target=target, group=target or page.url,
                      message="Image without alt text",
                      evidence={"element": "img", "region": region, "src": src})


@page_check("QUAL005", "missing-page-title", category="content-quality", severity="warning", team="content",
            title="Page without a title")
def missing_title(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """The page has no ``<title>`` or an empty one. The browser tab, bookmarks and search
    results then show the bare address, and shoppers cannot tell the page apart from others.

    Give every page a short title that names what is on it, then the shop's name
    ("Copper Stovetop Kettle | Hearth & Home").
    """
    if _ok_page(page) and not page.title:
        yield Finding(code="QUAL005", page=page.url, group=page.url, message="Page has no title",
                      evidence={"element": "title", "region": "head"}, region="head")


@page_check("QUAL007", "missing-meta-description", category="content-quality", severity="notice", team="content",
            title="Page without a meta description")
def missing_description(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """The page has no ``<meta name="description">`` (or an empty one). Search engines then
    show a snippet picked from the page, often the navigation or a cookie notice, and fewer
    shoppers click through.

    Write a one- or two-sentence description of the page (about 150 characters) in the
    page's settings of the shop platform.
    """
    if _ok_page(page) and not page.description:
        yield Finding(code="QUAL007", page=page.url, group=page.url, message="Page has no meta description",
                      evidence={"element": "meta", "region": "head"}, region="head")


def _duplicates(run: RunContext, code: str, column: str, what: str) -> Iterator[Finding]:
    rows = run.query(f"""
        select p.url, p.{column} as value, d.pages from pages p join (
            select {column} as value, count(*) as pages from pages
            where run_id = :run and status between 200 and 299 and {column} != ''
            group by {column} having count(*) > 1
        ) d on d.value = p.{column}
        where p.run_id = :run and p.status between 200 and 299
        order by p.{column}, p.url
    """)
    for row in rows:
        yield Finding(code=code, page=row["url"], group=row["value"],
                      message=f"Same {what} as {row['pages'] - 1} other page(s): \"{row['value'][:120]}\"",
                      evidence={"quote": row["value"][:300], "pages": row["pages"], "element": "head",
                                "region": "main"})


@site_check("QUAL006", "duplicate-page-title", category="content-quality", severity="notice", team="content",
            title="Several pages with the same title")
def duplicate_title(run: RunContext, options: None) -> Iterator[Finding]:
    """Two or more pages share the same ``<title>``. Shoppers with several tabs open, and
    search engines choosing which page to show, cannot tell them apart; search engines may
    show only one of them.

    Give each page a title that names its own content; for pages of a paginated list, add
    the page number ("Kitchen – page 2").
    """
    yield from _duplicates(run, "QUAL006", "title", "title")


@site_check("QUAL008", "duplicate-meta-description", category="content-quality", severity="notice",
            team="content", title="Several pages with the same meta description")
def duplicate_description(run: RunContext, options: None) -> Iterator[Finding]:
    """Two or more pages share the same meta description, so their search results read the
    same and shoppers cannot tell which page answers their question.

    Write a description for each page that says what is on that page in particular.
    """
    yield from _duplicates(run, "QUAL008", "description", "meta description")
