"""Forms on a page, as facts: where they send, how, with which fields and which button.

The crawl never submits a form. It only records the add-to-basket forms of product pages
(:func:`basket_forms`) so that checkout flows (``storeaudit/flows.py``) can walk them after
the crawl, each in its own cookie jar. Recognition is deliberately simple and explainable:
a form whose action, class/id or submit button names the cart, basket or bag, or one of the
usual platform markers (``/cart/add``, ``add-to-cart``, ``checkout/cart/add``, ``basket/add``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from lxml import etree

from crawler.urls import resolve

__all__ = ["FormFact", "basket_forms", "product_forms", "button_text", "form_fact", "template_signature"]

_WS = re.compile(r"\s+")
#: Words in an action URL, a form's class/id or its button that mark an add-to-basket form.
_BASKET_WORDS = re.compile(r"(?<![a-z])(cart|basket|bag|trolley)(?![a-z])|add[-_ ]?to[-_ ]?(cart|basket|bag)", re.I)
_ADD_WORDS = re.compile(r"(?<![a-z])(add|buy)(?![a-z])|add[-_]?to|/cart/add|basket/add|cart/add", re.I)
SUBMIT_TYPES = frozenset({"submit", "image"})


@dataclass(slots=True)
class FormFact:
    """One form as a browser would submit it by default (``fields``: name, type, value)."""

    action: str
    method: str
    button: str
    marker: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)


def _clean(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()[:200]


def button_text(form: etree._Element) -> str:
    """The label of the form's first submit button (what a shopper clicks)."""
    for el in form.iter("button", "input"):
        kind = (el.get("type") or ("submit" if el.tag == "button" else "text")).lower()
        if kind in SUBMIT_TYPES:
            return _clean(el.text_content() if el.tag == "button" else (el.get("value") or el.get("alt") or ""))
    return ""


def form_fact(form: etree._Element, base: str) -> FormFact | None:
    """The facts of one ``<form>``; None when its action is not a web address."""
    resolved = resolve(base, form.get("action") or base)
    if resolved is None:
        return None
    fields = []
    for el in form.iter("input", "select", "textarea"):
        name = el.get("name")
        if not name:
            continue
        kind = (el.get("type") or el.tag).lower()
        value = (el.get("value") or "") if el.tag == "input" else ""
        fields.append((name, kind, value[:200]))
    marker = " ".join(filter(None, (form.get("class"), form.get("id"), form.get("name"))))
    return FormFact(action=resolved[0], method=(form.get("method") or "get").upper(), button=button_text(form),
                    marker=_clean(marker), fields=fields)


def is_basket_form(fact: FormFact) -> bool:
    """An add-to-basket form: posts, and its action/marker/button names the basket and adding."""
    if fact.method != "POST":
        return False
    names = f"{fact.action} {fact.marker} {fact.button}"
    return bool(_BASKET_WORDS.search(names)) and bool(_ADD_WORDS.search(names))


def basket_forms(root: etree._Element, base: str) -> list[FormFact]:
    """The add-to-basket forms of a page (usually none or one)."""
    out = []
    for form in root.iter("form"):
        fact = form_fact(form, base)
        if fact is not None and is_basket_form(fact):
            out.append(fact)
    return out


def product_forms(root: etree._Element, base: str) -> list[FormFact]:
    """The add-to-basket form of a product page; [] for other pages.

    A page whose add-to-basket forms differ in action or hidden fields (the product id) lists
    several products (a category page with "add" buttons on every card): it is not a product
    page. The same form twice (a sticky "add" bar) still is one.
    """
    forms = basket_forms(root, base)
    products = {(f.action, tuple(x for x in f.fields if x[1] == "hidden")) for f in forms}
    return forms[:1] if len(products) == 1 else []


def template_signature(root: etree._Element, depth: int = 4) -> str:
    """A short hash of the page's skeleton: the set of tag.class pairs near the top of <body>.

    Product pages made from one template share it even when their copy differs; a product
    page made from another template (a bundle, a configurable product) gets another one.
    """
    body = root.find(".//body")
    if body is None:
        return ""
    seen: set[str] = {"body." + (body.get("class") or "")}
    level = [body]
    for _ in range(depth):
        nxt = []
        for node in level:
            for child in node:
                if isinstance(child.tag, str):
                    seen.add(f"{child.tag}.{child.get('class') or ''}")
                    nxt.append(child)
        level = nxt
    return hashlib.sha1("|".join(sorted(seen)).encode()).hexdigest()[:12]
