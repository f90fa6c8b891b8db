"""The discovered flow: a crawled product page → add to basket → basket → checkout → stop.

Each step asserts what a shopper needs (the form is there, the basket shows the product,
the checkout page has a form for email/address/shipping) and records a failure kind that the
flow checks (``checks/flows.py``) turn into findings. The flow stops at the checkout page:
it never submits a checkout form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import FormElement

from crawler.forms import button_text, form_fact, is_basket_form
from crawler.urls import host_key, normalize
from storeaudit.flows.walker import Page, Step, StepFailed, Walker

__all__ = ["Candidate", "form_data", "loaded", "text_of", "walk_product"]

_WS = re.compile(r"\s+")
_BASKET = re.compile(r"(?<![a-z])(basket|cart|bag|trolley)(?![a-z])", re.I)
_CHECKOUT = re.compile(r"check[-_ ]?out", re.I)
_ERROR_PAGE = re.compile(r"\b(error|exception|not found|went wrong|traceback)\b", re.I)
_SHOPPER_FIELD = re.compile(r"e-?mail|user(name)?|address|street|line1|post(al)?[-_ ]?code|zip|city|town|"
                            r"country|shipping|delivery|first[-_ ]?name|last[-_ ]?name|phone|guest", re.I)
MAX_ASSETS = 20


@dataclass(frozen=True)
class Candidate:
    """An add-to-basket form the crawl saw on a product page."""

    page: str
    action: str
    button: str = ""


def walk_product(walker: Walker, candidate: Candidate) -> None:
    """Walk one product's flow; raises :class:`StepFailed` at the first failed assertion."""
    step, product = walker.step("product", "GET", candidate.page)
    page = loaded(walker, step, product, "the product page loads")
    form = _basket_form(page, candidate)
    accepted = "the add-to-basket form is on the page and the store accepts it"
    if form is None:
        raise walker.missing("add-to-basket", candidate.action, method="POST", assertion=accepted,
                             failure="no-form", detail="the product page has no add-to-basket form any more")
    method = (form.method or "GET").upper()
    action = urljoin(page.url, form.get("action") or page.url)
    step, added = walker.step("add-to-basket", method, action, data=form_data(form),
                              button=button_text(form), referer=page.url)
    after = loaded(walker, step, added, accepted)
    if _looks_like_error(after) and _product_name(after) != _product_name(page):  # "Error-free mug" is fine
        raise walker.fail(step, "error-page", f"the answer is an error page: {_title(after)!r}")

    basket_url = after.url if _is_basket_url(after.url) else (_link(after, _is_basket_link) or
                                                               _link(page, _is_basket_link))
    step, basket = _open(walker, "basket", basket_url, referer=after.url, assertion="the basket shows the product",
                         missing="no link to the basket after adding the product")
    name = _product_name(page)
    if not _shows_product(basket, candidate.page, name):
        raise walker.fail(step, "missing-product", f"the basket does not show {name or candidate.page!r}")

    step, checkout = _open(walker, "checkout", _link(basket, _is_checkout_link), referer=basket.url,
                           assertion="the checkout page loads with a form for email, address or shipping",
                           missing="the basket has no link or button to checkout")
    if _is_basket_url(checkout.url) and not _CHECKOUT.search(urlsplit(checkout.url).path):
        raise walker.fail(step, "bounced", f"checkout sent the shopper back to the basket ({checkout.url})")
    if not _has_shopper_form(checkout):
        raise walker.fail(step, "no-form", "the checkout page has no form asking for email, address or shipping")
    _check_assets(walker, checkout)


def _open(walker: Walker, name: str, url: str, *, referer: str, assertion: str, missing: str) -> tuple[Step, Page]:
    """GET the next page of the flow (a failed step 'no-link' when there is no URL to go to)."""
    if not url:
        raise walker.missing(name, "", assertion=assertion, failure="no-link", detail=missing)
    step, page = walker.step(name, "GET", url, referer=referer)
    return step, loaded(walker, step, page, assertion)


def loaded(walker: Walker, step: Step, page: Page | None, assertion: str) -> Page:
    """The step's page when it answered 2xx with HTML; else the step fails (StepFailed)."""
    step.assertion = assertion
    if page is None:
        raise StepFailed(step.detail)
    if page.status >= 400:
        raise walker.fail(step, "status", f"answered {page.status}")
    if 300 <= page.status < 400:
        raise walker.fail(step, "redirects", f"still redirecting after {len(page.hops)} hops: {' → '.join(page.hops)}")
    if page.root is None:
        raise walker.fail(step, "not-html", f"answered {page.content_type or 'an empty body'}, not an HTML page")
    return page


def _basket_form(page: Page, candidate: Candidate) -> FormElement | None:
    forms = [f for f in page.root.iter("form") if isinstance(f, FormElement)]  # type: ignore[union-attr]
    matching = []
    for form in forms:
        fact = form_fact(form, page.url)
        if fact is not None and is_basket_form(fact):
            matching.append((fact.action != candidate.action, form))
    matching.sort(key=lambda pair: pair[0])
    return matching[0][1] if matching else None


def form_data(form: FormElement) -> list[tuple[str, str]]:
    """What a browser sends when the shopper clicks the first submit button, default quantity."""
    data = []
    for name, value in form.form_values():
        if not value and ("qty" in name.lower() or "quantity" in name.lower()):
            value = "1"
        data.append((name, value))
    for el in form.iter("button", "input"):
        kind = (el.get("type") or ("submit" if el.tag == "button" else "text")).lower()
        if kind == "submit":
            if el.get("name"):
                data.append((el.get("name"), el.get("value") or ""))
            break
    return data


def text_of(el: etree._Element | None) -> str:
    return _WS.sub(" ", el.text_content() if el is not None else "").strip()


def _title(page: Page) -> str:
    return text_of(page.root.find(".//title")) if page.root is not None else ""


def _looks_like_error(page: Page) -> bool:
    h1 = page.root.find(".//h1") if page.root is not None else None
    return bool(_ERROR_PAGE.search(_title(page)) or _ERROR_PAGE.search(text_of(h1)))


def _product_name(page: Page) -> str:
    h1 = page.root.find(".//h1") if page.root is not None else None
    return text_of(h1) or _title(page).split("|")[0].strip()


def _is_basket_url(url: str) -> bool:
    path = urlsplit(url).path
    return bool(_BASKET.search(path)) and "add" not in path.lower()


def _is_basket_link(href: str, text: str) -> bool:
    return _is_basket_url(href) or (bool(_BASKET.search(text)) and "add" not in text.lower())


def _is_checkout_link(href: str, text: str) -> bool:
    return bool(_CHECKOUT.search(urlsplit(href).path) or _CHECKOUT.search(text))


def _link(page: Page, wanted) -> str:  # type: ignore[no-untyped-def]
    """The first link of the page (main content first) that ``wanted(href, text)`` accepts."""
    if page.root is None:
        return ""
    anchors = list(page.root.iter("a"))
    main = page.root.find(".//main")
    if main is not None:
        anchors = list(main.iter("a")) + anchors
    for a in anchors:
        href = a.get("href") or ""
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urljoin(page.url, href)
        if urlsplit(url).scheme in ("http", "https") and wanted(url, text_of(a)):
            return url.split("#", 1)[0]
    return ""


def _shows_product(basket: Page, product_url: str, name: str) -> bool:
    target = normalize(product_url)
    for a in basket.root.iter("a"):  # type: ignore[union-attr]
        href = a.get("href")
        if href and normalize(urljoin(basket.url, href)) == target:
            return True
    body = basket.root.find(".//body")  # type: ignore[union-attr]
    return bool(name) and name.lower() in text_of(body).lower()


def _has_shopper_form(page: Page) -> bool:
    for form in page.root.iter("form"):  # type: ignore[union-attr]
        for el in form.iter("input", "select", "textarea"):
            kind = (el.get("type") or "text").lower()
            if kind in ("hidden", "submit", "button"):
                continue
            if kind == "email" or _SHOPPER_FIELD.search(" ".join(filter(None, (el.get("name"), el.get("id"),
                                                                                el.get("autocomplete"))))):
                return True
    return False


def _check_assets(walker: Walker, page: Page) -> None:
    """Load the checkout page's stylesheets and scripts: a broken one breaks the checkout."""
    urls = []
    for el in page.root.iter("link", "script"):  # type: ignore[union-attr]
        if el.tag == "link" and "stylesheet" not in (el.get("rel") or "").lower().split():
            continue
        src = el.get("href") if el.tag == "link" else el.get("src")
        if src:
            url = urljoin(page.url, src)
            if urlsplit(url).scheme in ("http", "https") and url not in urls:
                urls.append(url)
    own = walker.site_hosts | {host_key(page.url)}
    for url in urls[:MAX_ASSETS]:
        if not walker.check_external and host_key(url) not in own:
            continue  # the audit was told not to contact other sites (crawl.check_external)
        step, asset = walker.step("asset", "GET", url, referer=page.url)
        step.assertion = "the stylesheet or script loads"
        if asset is None:
            if step.failure == "refused":
                step.ok, step.failure = True, "skipped"
            continue
        if asset.status >= 400:
            walker.fail(step, "status", f"answered {asset.status}")
