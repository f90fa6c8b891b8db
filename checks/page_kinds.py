"""What kind of page a check is looking at: by URL pattern, language and schema.org type.

Content checks are tuned per kind of page (product copy is held to stricter rules than
guides; legal pages are exempt from readability), so they share these small helpers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml import etree

from config import glob_match
from crawler.extract import ParsedPage

__all__ = ["CATEGORY_URLS", "LEGAL_URLS", "PRODUCT_URLS", "is_product_page", "language", "page_kind", "path_matches",
           "region_tag"]

PRODUCT_URLS = ("/product/**", "/products/**", "/p/**", "/item/**", "**/*-p-*")
CATEGORY_URLS = ("/category/**", "/categories/**", "/collections/*", "/c/**")
LEGAL_URLS = ("**/terms*", "**/privacy*", "**/cookie*", "**/legal/**", "**/imprint*", "**/impressum*",
              "**/agb*", "**/conditions*", "**/gdpr*", "**/disclaimer*")
_ITEMTYPES = etree.XPath("//@itemtype", smart_strings=False)


def path_matches(url: str, globs: tuple[str, ...] | list[str]) -> bool:
    """Does the URL's path match one of the globs (``**`` spans folders)?"""
    path = urlsplit(url).path or "/"
    return any(glob_match(g, path) for g in globs)


def is_product_page(page: ParsedPage, product_urls: tuple[str, ...] = PRODUCT_URLS) -> bool:
    """A product detail page: schema.org Product (microdata or JSON-LD), og:type product, or its URL."""
    cache = page.derived
    if "is_product" not in cache:
        root = page.root
        found = False
        if root is not None:
            # the parsed JSON-LD first: it usually answers, and the microdata is a search of the tree
            found = any(str(o.get("@type", "")).lower() == "product" for o in page.schema().objects) \
                or any("schema.org/product" == itemtype.lower().rstrip("/").split("//")[-1]
                       for itemtype in _ITEMTYPES(root)) \
                or any((m.get("property") or "").lower() == "og:type" and (m.get("content") or "").lower() == "product"
                       for m in root.iter("meta"))
        cache["is_product"] = found or path_matches(page.url, product_urls)
    return bool(cache["is_product"])


def language(page: ParsedPage) -> tuple[str, str]:
    """The page's language and region from ``<html lang>``: 'en-GB' -> ('en', 'gb'); '' if unknown."""
    lang, _, region = page.lang.replace("_", "-").lower().partition("-")
    return lang, region.split("-")[0]


def region_tag(lang: str, region: str) -> str:
    return f"{lang}-{region}" if region else lang


def page_kind(page: ParsedPage) -> str:
    """'product', 'category' or '': stored per page so site checks (click depth, navigation) can ask."""
    if page.root is None:
        return ""
    if is_product_page(page):
        return "product"
    return "category" if path_matches(page.url, CATEGORY_URLS) else ""
