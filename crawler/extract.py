"""Read one HTML page once: its title, ids and every URL it references, with where they sit.

The page is parsed a single time with lxml (measured ~6x faster than BeautifulSoup on a 40 KB
page, see docs/architecture.md); page checks get the same tree through :class:`ParsedPage`.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import lxml.html
from lxml import etree

from crawler import facts
from crawler.forms import FormFact, product_forms, template_signature
from crawler.urls import resolve

__all__ = ["ParsedPage", "Reference", "parse_page", "region_of", "srcset_urls"]

#: Kinds of reference that are web pages (checked as links) and not assets or images.
PAGE_KINDS = frozenset({"a", "area", "iframe", "canonical"})
IMAGE_KINDS = frozenset({"img", "srcset", "data-src", "og:image", "source", "input-image"})
ASSET_KINDS = frozenset({"stylesheet", "script"})

_WS = re.compile(r"\s+")
_LANDMARK_ROLES = {"banner": "header", "navigation": "nav", "contentinfo": "footer", "main": "main",
                   "complementary": "aside"}
_HINT = re.compile(r"(?:^|[-_ ])(header|masthead|nav|navbar|navigation|menu|footer|breadcrumbs?)(?:$|[-_ ])")
_HINT_REGION = {"header": "header", "masthead": "header", "nav": "nav", "navbar": "nav",
                "navigation": "nav", "menu": "nav", "footer": "footer", "breadcrumb": "nav",
                "breadcrumbs": "nav"}
_SECTIONING = frozenset({"article", "section", "main", "aside"})
MAX_TEXT = 200
#: Distinct ids and classes whose region (``_hint_region``) is remembered.
HINTS_REMEMBERED = 4096
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: Every id and ``<a name>`` a fragment can point at, as plain strings read in C.
_IDS = etree.XPath("//@id | //a/@name", smart_strings=False)
_REFERENCING = ("a", "area", "img", "source", "link", "script", "iframe", "meta")


@dataclass(slots=True)
class Reference:
    """One URL a page references: the edge from page to target."""

    url: str
    fragment: str
    kind: str
    text: str
    region: str
    #: the URL as the page wrote it, when the crawl's canonical form dropped tracking/session parameters
    raw: str = ""


@dataclass
class ParsedPage:
    """What the crawler read from one HTML page; ``root`` is the lxml tree for page checks."""

    url: str
    status: int
    depth: int
    title: str
    lang: str
    ids: list[str]
    refs: list[Reference]
    root: etree._Element | None = field(default=None, repr=False)
    headers: dict[str, str] = field(default_factory=dict)
    description: str = ""
    availability: str = ""  # 'out-of-stock', 'in-stock' or '' (see crawler/facts.py)
    copyright_year: int | None = None
    modified: str = ""
    promo_links: list[str] = field(default_factory=list)
    #: What checks derive from the tree (e.g. its main text), computed once per page.
    derived: dict[str, object] = field(default_factory=dict, repr=False)
    #: the add-to-basket form of a product page (a fact for checkout flows; never submitted by the crawl)
    forms: list[FormFact] = field(default_factory=list)
    #: skeleton hash of a page with an add-to-basket form, and whether it says "in stock"
    template: str = ""
    in_stock: bool = True
    #: 'product', 'category' or '' (checks/page_kinds.py), when read where the tree is not kept
    kind: str | None = None
    #: The template parts this page shares with an earlier page, in document order, as
    #: (part id, start, stop): ``refs[start:stop]`` are the part's references. After
    #: ``send_parts`` a part already sent has stop = -1 and its references are not in ``refs``
    #: (they would be at ``start``): the crawler has them under the part id (crawler/pipelines.py).
    parts: list[tuple[int, int, int]] = field(default_factory=list)

    def send_parts(self, sent: set[int], *, limit: int) -> None:
        """Drop the references of each part whose id is in ``sent`` (the crawler has them),
        and add the others' ids to it, up to ``limit`` ids: past it a part's references stay
        as the page's own, so what the crawler keeps per part stays bounded."""
        if not self.parts:
            return
        refs: list[Reference] = []
        parts: list[tuple[int, int, int]] = []
        at = 0
        for part_id, start, stop in self.parts:
            refs += self.refs[at:start]
            at = stop
            if part_id in sent:
                parts.append((part_id, len(refs), -1))
            elif len(sent) < limit:
                sent.add(part_id)
                parts.append((part_id, len(refs), len(refs) + stop - start))
                refs += self.refs[start:stop]
            else:
                refs += self.refs[start:stop]
        refs += self.refs[at:]
        self.refs, self.parts = refs, parts

    def __getstate__(self) -> dict[str, object]:
        """Pickled (a page worker's result) with its references as plain tuples: pickle's way
        with ~150 objects took 0.22 ms to dump and 0.12 ms to load a product page, as tuples
        0.07 and 0.06 ms (300 bench pages, collector off)."""
        state = self.__dict__.copy()
        state["refs"] = [(r.url, r.fragment, r.kind, r.text, r.region, r.raw) for r in self.refs]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        state["refs"] = [Reference(*fields) for fields in state["refs"]]  # type: ignore[attr-defined]
        self.__dict__.update(state)

    def schema(self) -> facts.Schema:
        """The page's schema.org data (JSON-LD and microdata), read from the tree once."""
        cache = self.derived
        if "schema" not in cache:
            assert self.root is not None
            cache["schema"] = facts.Schema(self.root)
        return cache["schema"]  # type: ignore[return-value]

    def text(self) -> str:
        """All the text of the page's tree (``text_content()``), read once: stock, the
        copyright year and broken values each look through it first."""
        cache = self.derived
        if "text" not in cache:
            cache["text"] = self.root.text_content() if self.root is not None else ""
        return cache["text"]  # type: ignore[return-value]

    def markup(self, el: etree._Element) -> bytes:
        """``el`` serialised (without its tail), once per page: the key under which a template
        part's references and text blocks are kept for the next page (see ``template_parts``)."""
        cache: dict[etree._Element, bytes] = self.derived.setdefault("markup", {})  # type: ignore[assignment]
        known = cache.get(el)
        if known is None:
            known = cache[el] = etree.tostring(el, with_tail=False)
        return known

    def region(self, el: etree._Element) -> str:
        """:func:`region_of` an element of this page's tree, each ancestor worked out once."""
        return region_of(el, self.derived.setdefault("regions", {}))  # type: ignore[arg-type]


def _clean(text: str | None) -> str:
    # str.split() and re's \s agree on what whitespace is; the split is ~2 x faster.
    return " ".join(text.split())[:MAX_TEXT] if text else ""


def region_of(el: etree._Element, memo: dict[etree._Element, str] | None = None) -> str:
    """Where an element sits: 'head', 'header', 'nav', 'footer', 'aside' or 'main'.

    The nearest landmark wins: ``<nav>`` anywhere, ``<header>``/``<footer>`` only outside
    articles and sections (inside them they are part of the content), ARIA roles, and
    header/footer/nav/menu hints in ids and classes. With ``memo`` (one dict per tree), each
    ancestor's answer is worked out once: a page asks this of ~150 elements that share most
    of their ancestors.
    """
    node = el.getparent()
    walked: list[etree._Element] = []
    region = "main"
    while node is not None:
        if memo is not None:
            known = memo.get(node)
            if known is not None:
                region = known
                break
        own = _landmark(node)
        if own:
            region = own
            break
        walked.append(node)
        node = node.getparent()
    if memo is not None:
        if node is not None:
            memo[node] = region
        for n in walked:
            memo[n] = region
    return region


def _landmark(node: etree._Element) -> str:
    """The region ``node`` itself starts, or '' when it takes its parent's."""
    tag = node.tag if isinstance(node.tag, str) else ""
    role = node.get("role")
    if role:
        landmark = _LANDMARK_ROLES.get(role.lower())
        if landmark:
            return landmark
    if tag == "nav":
        return "nav"
    if tag in ("header", "footer") and not any(
        isinstance(a.tag, str) and a.tag in _SECTIONING for a in node.iterancestors()
    ):
        return tag
    if tag in ("main", "article"):
        return "main"
    if tag == "head":
        return "head"
    for hint in (node.get("id"), node.get("class")):
        if hint:
            region = _hint_region(hint)
            if region:
                return region
    return ""


@lru_cache(maxsize=HINTS_REMEMBERED)
def _hint_region(value: str) -> str:
    """The region an id or class names by ``_HINT`` ('' for none). A store's pages repeat the
    same few hundred classes, and the pattern, which has no fixed first letter to skip to,
    took ~3 µs a class."""
    m = _HINT.search(value.lower())
    return _HINT_REGION[m.group(1)] if m else ""


def srcset_urls(value: str) -> list[str]:
    """The URLs of a srcset attribute's candidates, per the HTML spec's parsing rules.

    A URL may itself contain commas (``/img/a,b.jpg 1x``); a candidate ends at a comma after
    the URL's descriptors, or at commas that end the URL.
    """
    urls = []
    i, n = 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        start = i
        while i < n and not value[i].isspace():
            i += 1
        url = value[start:i]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0
            while i < n:  # skip descriptors up to the next top-level comma
                ch = value[i]
                if ch == "(":
                    depth += 1
                elif ch == ")":
                    depth = max(0, depth - 1)
                elif ch == "," and depth == 0:
                    break
                i += 1
        if url and not url.startswith("data:"):
            urls.append(url)
    return urls


def parse_page(url: str, body: bytes, *, status: int = 200, depth: int = 0, encoding: str | None = None,
               headers: dict[str, str] | None = None) -> ParsedPage:
    """Parse ``body`` and collect every referenced URL. Never raises on malformed HTML."""
    root = _parse(body, encoding)
    page = ParsedPage(url=url, status=status, depth=depth, title="", lang="", ids=[], refs=[],
                      root=root, headers=headers or {})
    if root is None:
        return page
    base = url
    for b in root.iter("base"):
        href = b.get("href")
        if href:
            base = resolve(url, href)[0] if resolve(url, href) else url
        break
    title = root.find(".//title")
    page.title = _clean(title.text_content() if title is not None else "")
    html = root if root.tag == "html" else root.find(".//html")
    page.lang = ((html.get("lang") if html is not None else None) or "").strip().lower()
    page.ids = [ident for ident in _IDS(root) if ident]
    page.refs = list(_references(root, base, page.region, page.markup, page.parts))
    page.description = facts.meta_content(root, "description")[:MAX_TEXT * 2]
    lowered = page.text().lower()
    page.availability = facts.availability(root, page.schema(), lowered)
    page.copyright_year = facts.copyright_year(root, lowered)
    page.modified = facts.modified_date(root, page.schema())[:40]
    page.promo_links = sorted({r[0] for r in (resolve(base, h) for h in facts.promo_links(root)) if r})
    page.forms = product_forms(root, base)
    if page.forms:
        page.template = template_signature(root)
        page.in_stock = page.availability != "out-of-stock"
    return page


def _parse(body: bytes, encoding: str | None) -> etree._Element | None:
    if not body or not body.strip():
        return None
    if body.startswith(_BOMS):  # a byte-order mark beats a (lying) declared charset; lxml reads it
        encoding = None
    try:
        return lxml.html.document_fromstring(body, parser=_parser(encoding, remove_comments=bool(encoding)))
    except (etree.ParserError, ValueError, LookupError):
        try:
            return lxml.html.document_fromstring(body.decode("utf-8", "replace"), parser=_parser(None))
        except (etree.ParserError, ValueError):
            return None


#: Every element an ``HtmlElement`` (``text_content``, ``cssselect``...), chosen in C. lxml.html's
#: own lookup calls Python for each element it wraps to give forms and inputs their classes,
#: which page checks do not use: ~1,300 calls per product page.
_CLASSES = etree.ElementDefaultClassLookup(element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
                                           pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity)


def _parser(encoding: str | None, *, remove_comments: bool = False) -> lxml.html.HTMLParser:
    parser = lxml.html.HTMLParser(encoding=encoding, remove_comments=remove_comments)
    parser.set_element_class_lookup(_CLASSES)
    return parser


#: Elements a store repeats on most pages: its header, menus and footer.
TEMPLATE_PARTS = ("header", "nav", "footer")
_PART_REFS_MAX = 32
#: (a template part's markup, the origin its URLs resolve against) -> its id and its references,
#: as (url, fragment, kind, text, region): the next page with the same part takes them as they are.
_PART_REFS: dict[tuple[bytes, str], tuple[int, tuple[tuple[str, str, str, str, str], ...]]] = {}
#: An address that resolves the same from every page of an origin: site-root (/x), scheme-relative
#: (//host/x) or with a scheme (https:, mailto:...). Only "x", "../x", "?q" and "#f" depend on the page.
_BASE_FREE = re.compile(r"\s*(?:/|[a-zA-Z][a-zA-Z0-9+.-]*:)")


def template_parts(root: etree._Element) -> list[etree._Element]:
    """The page's outermost header, nav and footer elements that are landmarks (a header
    inside an article is part of its content), in document order."""
    parts: list[etree._Element] = []
    for el in root.iter(TEMPLATE_PARTS):
        if parts and parts[-1] in el.iterancestors():
            continue
        if _landmark(el):
            parts.append(el)
    return parts


def part_id(key: tuple[bytes, str]) -> int:
    """A template part's id: the same in every process for the same markup and origin (the
    page workers name parts to the crawler by it); 63 bits of BLAKE2b, so a positive integer."""
    markup, origin = key
    return int.from_bytes(hashlib.blake2b(markup + b"\0" + origin.encode(), digest_size=8).digest()) >> 1


class _Part:
    """A template part while a page's references are read: its key, and its references."""

    __slots__ = ("given", "key", "known", "refs", "reusable")

    def __init__(self, key: tuple[bytes, str]):
        self.key = key
        self.known = _PART_REFS.get(key)
        self.refs: list[tuple[str, str, str, str, str]] = []
        self.reusable = True  # no address in it depends on the page's own URL
        self.given = False


def _references(root: etree._Element, base: str, region: Callable[[etree._Element], str],
                markup: Callable[[etree._Element], bytes] | None = None,
                spans: list[tuple[int, int, int]] | None = None) -> Iterator[Reference]:
    """Every URL the tree references, in document order, with its kind, text and region.

    An element's text and region are worked out once for all its URLs (an image has ~4 with
    its srcset) and only when one of them resolves: ~150 references a product page. With
    ``markup``, a template part (header, menu, footer) whose markup an earlier page had, and
    whose addresses do not depend on the page's own URL, gives that page's references
    without reading them again: about half a product page's references are there. Each such
    part is added to ``spans`` as (part id, start, stop) among the references given."""
    owner: dict[etree._Element, _Part] = {}
    given = 0
    if markup is not None:
        origin = base[:base.find("/", base.find("//") + 2)] if base.count("/") >= 3 else base
        for part_el in template_parts(root):
            part = _Part((markup(part_el), origin))
            for el in part_el.iter(_REFERENCING):
                owner[el] = part
    for el in root.iter(_REFERENCING):
        part = owner.get(el) if owner else None
        if part is not None and part.known is not None:
            if not part.given:
                part.given = True
                known_id, known_refs = part.known
                if spans is not None:
                    spans.append((known_id, given, given + len(known_refs)))
                given += len(known_refs)
                for values in known_refs:
                    yield Reference(*values)
            continue
        tag = el.tag
        text = ""
        if tag == "a" or tag == "area":
            href = el.get("href")
            if not href:
                continue
            if tag == "a":  # most links hold their text alone: no XPath for them
                text = (el.text or "") if len(el) == 0 else el.text_content()
            if not text.strip():
                text = " ".join(i.get("alt", "") for i in el.iter("img")) or el.get("title", "") or el.get("aria-label", "")
            candidates = [(href, tag)]
        elif tag == "img":
            text = el.get("alt", "")
            candidates = [(el.get("src"), "img")]
            for attr in ("srcset", "data-srcset"):
                value = el.get(attr)
                if value:
                    candidates += [(u, "srcset") for u in srcset_urls(value)]
            candidates.append((el.get("data-src"), "data-src"))
        elif tag == "source":
            pic = el.getparent()
            if pic is None:
                continue
            if pic.tag == "picture":
                # libxml2 does not know <source> is empty and nests the <img> inside it.
                img = next(pic.iter("img"), None)
                text = img.get("alt", "") if img is not None else ""
            candidates = [(u, "source") for attr in ("srcset", "data-srcset") for u in srcset_urls(el.get(attr) or "")]
        elif tag == "link":
            rel = (el.get("rel") or "").lower().split()
            if "stylesheet" in rel:
                candidates = [(el.get("href"), "stylesheet")]
            elif "canonical" in rel:
                candidates = [(el.get("href"), "canonical")]
            else:
                continue
        elif tag == "script":
            candidates = [(el.get("src"), "script")]
        elif tag == "iframe":
            text = el.get("title", "")
            candidates = [(el.get("src"), "iframe")]
        elif (el.get("property") or el.get("name") or "").lower() == "og:image":  # <meta>
            candidates = [(el.get("content"), "og:image")]
        else:
            continue
        where = None
        for href, kind in candidates:
            if not href:
                continue
            if part is not None and part.reusable and not _BASE_FREE.match(href):
                part.reusable = False
            resolved = resolve(base, href)
            if resolved is None:
                continue
            if where is None:
                text, where = _clean(text), region(el)
            if part is not None:
                part.refs.append((resolved[0], resolved[1], kind, text, where))
            given += 1
            yield Reference(resolved[0], resolved[1], kind, text, where)
    for part in set(owner.values()):
        if part.known is None and part.reusable:
            if len(_PART_REFS) >= _PART_REFS_MAX:  # a store whose header changes from page to page
                _PART_REFS.clear()
            _PART_REFS[part.key] = (part_id(part.key), tuple(part.refs))
