"""Store-data sanity: prices, currencies, stock and product counts the platform shows.

These come from the shop's catalogue data and templates (IT's side): a wrong price or a
"buy" button on a product that says it is sold out is a data or integration fault.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from lxml import etree

from checks.context import PageContext
from checks.page_kinds import CATEGORY_URLS, PRODUCT_URLS, is_product_page, path_matches
from checks.registry import Finding, page_check
from checks.text_content import main_blocks
from crawler.extract import ParsedPage
from crawler.facts import _OUT_OF_STOCK_MARKER

_WS = re.compile(r"\s+")
_CURRENCY = re.compile(r"[£$€¥₩₹]|\b(?:USD|GBP|EUR|JPY|KRW|CHF|AUD|CAD|SEK|NOK|DKK|PLN|CZK)\b|원|円|kr\b|zł|Kč", re.I)
_NUMBER = re.compile(r"[-−]?\d[\d\s.,']*")
_BROKEN = re.compile(r"NaN|undefined|null|Infinity|\{\{|\{%|\$\{|\[object", re.I)  # ERR002/ERR003 report these
_PRICE_CLASS = re.compile(r"(?:^|[-_ ])price(?:$|[-_ ])")
_IN_STOCK_MARKER = re.compile(r"^(?:in\s+stock|available(?:\s+now)?|only\s+\d+\s+left(?:\s+in\s+stock)?|재고\s*있음|구매\s*가능)[.!]?$", re.I)
_COUNT = re.compile(r"\b(\d{1,6})\s+(?:products?|items?|results?|articles?)\b|(\d{1,6})\s*(?:개\s*상품|개의\s*상품|건)", re.I)
_OF_TOTAL = re.compile(r"\bof\s+\d+\b|/\s*\d+\s*(?:products?|items?)|\b\d+\s*[-–]\s*\d+\b", re.I)
_PAGE_NUMBER = re.compile(r"/page/(\d+)/?$|[?&](?:page|p|pg)=(\d+)", re.I)


def parse_amount(text: str) -> float | None:
    """The number in a price text ("£1,234.50", "1.234,50 €", "₩12,000"); None if there is none."""
    m = _NUMBER.search(text)
    if not m:
        return None
    raw = re.sub(r"[\s']", "", m.group(0)).replace("−", "-").rstrip(".,")
    if _CURRENCY.sub("", text[:m.start()]).strip()[-1:] in ("-", "−") and not raw.startswith("-"):
        raw = "-" + raw  # "-£5.00"
    if "," in raw and "." in raw:
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
        raw = raw.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif "," in raw:
        head, _, tail = raw.rpartition(",")
        raw = f"{head.replace(',', '')}.{tail}" if len(tail) in (1, 2) and raw.count(",") == 1 else raw.replace(",", "")
    elif raw.count(".") > 1:
        raw = raw.replace(".", "")
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _text(el: etree._Element) -> str:
    """Visible text of a price element without struck-out old prices (``<s>£42.00</s>``)."""
    if next(el.iter("s", "del", "strike"), None) is not None:
        el = copy.deepcopy(el)
        for old in list(el.iter("s", "del", "strike")):
            old.drop_tree()
    return _WS.sub(" ", el.text_content()).strip()


def visible_price(page: ParsedPage) -> tuple[str, etree._Element] | None:
    """The product's shown price: the first ``itemprop=price`` element with text, else the first
    element in the main content whose class says price. None if the page shows none."""
    cache = page.derived
    if "visible_price" not in cache:
        found = None
        root = page.root
        candidates = [el for el in page.schema().microdata("price") if el.tag != "meta"]
        candidates += [el for el in root.iter("span", "p", "div", "strong", "b", "ins", "data", "dd", "td")  # type: ignore[union-attr]
                       if _PRICE_CLASS.search((el.get("class") or "").lower())]
        for el in candidates:
            text = _text(el)
            if text and len(text) < 80 and page.region(el) == "main":
                found = (text, el)
                break
        cache["visible_price"] = found
    return cache["visible_price"]  # type: ignore[return-value]


def _offers(page: ParsedPage, as_of: date) -> list[dict[str, str]]:
    """schema.org Offer prices of the page (JSON-LD and microdata), offers that ended skipped."""
    schema = page.schema()
    out = []
    for obj in schema.objects:
        if str(obj.get("@type", "")).lower() != "offer" or not isinstance(obj.get("price"), (str, int, float)):
            continue
        until = str(obj.get("priceValidUntil") or "")[:10]
        if until and until < as_of.isoformat():
            continue  # an offer that ended: stale structured data, not this check's
        out.append({"price": str(obj["price"]), "currency": str(obj.get("priceCurrency") or ""), "source": "JSON-LD"})
    prices = schema.microdata("price")
    currency = schema.values("priceCurrency")[:1] if prices else []
    for el in prices:
        value = el.get("content") if el.get("content") is not None else el.text_content()
        out.append({"price": (value or "").strip(), "currency": currency[0] if currency else "",
                    "source": "microdata"})
    return out


def _product(page: ParsedPage) -> bool:
    return page.root is not None and 200 <= page.status < 300 and is_product_page(page, PRODUCT_URLS)


def _finding(code: str, page: ParsedPage, message: str, quote: str, element: str, **evidence: object) -> Finding:
    return Finding(code=code, page=page.url, group=page.url, message=message,
                   evidence={"quote": quote[:300], "element": element, "region": "main", **evidence})


@page_check("DATA001", "product-price-missing-or-invalid", category="store-data", severity="error", team="it",
            title="Product page without a valid price")
def price_missing_or_invalid(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """A product page shows no price, or a price of zero or below. Shoppers cannot buy what
    has no price, and a free or negative price is either a data error or an order the shop
    will have to cancel. (Prices shown as "NaN", "undefined" or an unrendered ``{{ price }}``
    are reported by ERR003 and ERR002.)

    Fix the product's price in the catalogue (and the import that fills it); if products
    without a price are on purpose ("price on request"), say so on the page.
    """
    if not _product(page):
        return
    shown = visible_price(page)
    if shown is None:
        yield _finding("DATA001", page, "Product page shows no price", page.title, "price")
        return
    text, el = shown
    if _BROKEN.search(text):
        return
    amount = parse_amount(text)
    if amount is None:
        yield _finding("DATA001", page, f'Price "{text}" is not a number', text, el.tag)
    elif amount <= 0:
        yield _finding("DATA001", page, f'Price shown as "{text}"', text, el.tag, amount=amount)


@page_check("DATA002", "price-differs-from-structured-data", category="store-data", severity="error", team="it",
            title="Shown price differs from the structured-data price")
def price_differs(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """The price shown on a product page differs from the price in its schema.org Offer
    (the data search engines and price comparison sites read). Shoppers come from a search
    result or comparison site at one price and find another in the shop — or at checkout.

    Render both from the same catalogue field; check caches and the feed or plugin that
    writes the structured data. Offers whose ``priceValidUntil`` has passed are not compared.
    """
    if not _product(page):
        return
    shown = visible_price(page)
    if shown is None or _BROKEN.search(shown[0]):
        return
    amount = parse_amount(shown[0])
    if amount is None:
        return
    for offer in _offers(page, context.as_of):
        value = parse_amount(offer["price"])
        if value is not None and abs(value - amount) > 0.005:
            yield _finding("DATA002", page, f'Price shown as "{shown[0]}", but {offer["source"]} Offer says {offer["price"]}',
                           shown[0], shown[1].tag, structured=offer["price"], source=offer["source"])
            return


@page_check("DATA003", "currency-missing", category="store-data", severity="warning", team="it",
            title="Price without a currency")
def currency_missing(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """A product's price has no currency: the shown price has no currency sign or code, or
    its schema.org Offer has no ``priceCurrency``. Shoppers abroad cannot tell what they will
    pay, and search engines ignore offers without a currency.

    Show the currency with every price and add ``priceCurrency`` to the structured data.
    """
    if not _product(page):
        return
    shown = visible_price(page)
    if shown is not None and not _BROKEN.search(shown[0]) and parse_amount(shown[0]) is not None \
            and not _CURRENCY.search(shown[0]):
        yield _finding("DATA003", page, f'Price "{shown[0]}" shown without a currency', shown[0], shown[1].tag)
        return
    for offer in _offers(page, context.as_of):
        if offer["price"] and not offer["currency"]:
            yield _finding("DATA003", page, f'{offer["source"]} Offer price {offer["price"]} has no priceCurrency',
                           offer["price"], "offer", source=offer["source"])
            return


def _stock_signals(page: ParsedPage) -> dict[str, str]:
    """'in'/'out' per source: structured data, a visible marker, the add-to-basket form."""
    root = page.root
    signals: dict[str, str] = {}
    states = {v.rsplit("/", 1)[-1].lower().replace("_", "") for v in page.schema().values("availability")}
    if states & {"outofstock", "soldout", "discontinued"}:
        signals["structured data"] = "out"
    elif any(s.startswith("instock") for s in states):
        signals["structured data"] = "in"
    for el in root.iter("span", "p", "div", "strong", "em", "b", "li", "small", "label"):  # type: ignore[union-attr]
        if len(el) > 3 or page.region(el) != "main":  # the region first: it is remembered per tree
            continue
        own = el.text
        if own and len(own) > 40 and len(" ".join(own.split())) > 40:
            continue  # its own text alone is longer than a label: a paragraph, not a marker
        text = _WS.sub(" ", el.text_content()).strip()
        if not text or len(text) > 40:
            continue
        if _OUT_OF_STOCK_MARKER.match(text):
            signals["page text"] = "out"
            break
        if _IN_STOCK_MARKER.match(text):
            signals["page text"] = "in"
            break
    if page.forms:
        buttons = [b for form in root.iter("form") if page.region(form) == "main"  # type: ignore[union-attr]
                   for b in form.iter("button", "input")
                   if (b.get("type") or ("submit" if b.tag == "button" else "text")).lower() == "submit"]
        disabled = buttons and all(b.get("disabled") is not None or (b.get("aria-disabled") or "") == "true"
                                   for b in buttons)
        signals["add-to-basket button"] = "out" if disabled else "in"
    return signals


@page_check("DATA004", "stock-contradiction", category="store-data", severity="error", team="it",
            title="Product shown as in stock and out of stock on the same page")
def stock_contradiction(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """A product page contradicts itself about stock: the page text, the structured data and
    the add-to-basket button do not agree (it says "In stock" but the button is disabled or
    missing, or the structured data says out of stock while the page says in stock).
    Shoppers who want it cannot buy it, or search results promise what the shop cannot sell.

    Render the stock label, the structured data and the button from the same stock field;
    check the cache and the stock synchronisation of the platform.
    """
    if not _product(page):
        return
    signals = _stock_signals(page)
    says_in = [s for s, v in signals.items() if v == "in" and s != "add-to-basket button"]
    if "add-to-basket button" not in signals and says_in and visible_price(page) is not None:
        signals["add-to-basket button"] = "missing"
    if len(set(signals.values())) > 1 and says_in:
        described = ", ".join(f"{s}: {v}" for s, v in signals.items())
        yield _finding("DATA004", page, f"Stock contradicts itself ({described})", described, "product",
                       signals=signals)


@page_check("DATA005", "category-count-mismatch", category="store-data", severity="warning", team="it",
            title="Category page's product count differs from the products it lists")
def category_count_mismatch(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """A category page says how many products it has ("12 products") but lists a different
    number, and has no further pages. Shoppers look for the products they were promised, or
    wonder what is hidden; the count usually comes from an index out of step with the catalogue.

    Rebuild the search or category index, and make the count and the list come from the
    same query (hidden or sold-out products counted in one and not the other).
    """
    if page.root is None or not 200 <= page.status < 300 or not path_matches(page.url, CATEGORY_URLS):
        return
    if any(r.kind == "a" and (_PAGE_NUMBER.search(r.url)) for r in page.refs) or _PAGE_NUMBER.search(page.url):
        return  # paginated: the count covers every page
    listed = {r.url for r in page.refs if r.kind == "a" and r.region == "main" and path_matches(r.url, PRODUCT_URLS)}
    for block in main_blocks(page):
        if len(block.text) > 120 or _OF_TOTAL.search(block.text):
            continue
        m = _COUNT.search(block.text)
        if m:
            shown = int(m.group(1) or m.group(2))
            if shown != len(listed):
                yield _finding("DATA005", page, f'Page says "{m.group(0)}" but lists {len(listed)} product(s)',
                               block.text, block.tag, shown=shown, listed=len(listed))
            return


@page_check("DATA006", "pagination-past-last-page", category="store-data", severity="notice", team="it",
            title="Page past the last page of a list answers with an empty list")
def pagination_past_last_page(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """A numbered page of a category or list (``/page/7``, ``?page=7``) past its last page
    answers normally but lists no products. Shoppers who follow the link (or a search engine
    that indexed it) see an empty shop; the pagination links are computed from a wrong total.

    Answer 404 for page numbers past the last page, and compute "next" links from the
    same total as the list itself.
    """
    if page.root is None or not 200 <= page.status < 300:
        return
    m = _PAGE_NUMBER.search(page.url)
    if not m or int(m.group(1) or m.group(2)) < 2:
        return
    if any(r.kind == "a" and r.region == "main" and path_matches(r.url, PRODUCT_URLS) for r in page.refs):
        return
    yield _finding("DATA006", page, f"Page {m.group(1) or m.group(2)} of a list answers 200 with no products",
                   page.title, "main")
