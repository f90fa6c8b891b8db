"""Fuzzing: page extraction and every page check survive random HTML, text and bytes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.context import PageContext
from checks.registry import checks_of_kind
from config import load_config
from crawler.extract import parse_page

TAGS = ["html", "head", "body", "title", "meta", "base", "a", "img", "picture", "source", "link", "script",
        "iframe", "nav", "header", "footer", "main", "article", "section", "p", "div", "span", "form",
        "input", "button", "table", "td", "h1", "h2", "ul", "li", "time", "noscript", "style", "svg"]
ATTRS = ["href", "src", "srcset", "data-src", "data-srcset", "alt", "title", "id", "name", "class", "role",
         "rel", "property", "content", "lang", "charset", "http-equiv", "datetime", "action", "type", "value"]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["/", "#", "#top", "//", "http://", "https://127.0.0.1:1/x?a=1#f", "javascript:alert(1)",
                     "mailto:a@b", "data:image/png;base64,AA==", "../../..", "a.jpg 1x, b.jpg 2x", "stylesheet",
                     "canonical", "og:image", "navigation", "2024-02-30", "\x00", "http://[::1", "%zz",
                     "http://a b/", "x" * 3000]),
)


@st.composite
def html_fragments(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 3))
        tag = draw(st.sampled_from(TAGS))
        if kind == 0:
            attrs = draw(st.dictionaries(st.sampled_from(ATTRS), VALUES, max_size=4))
            rendered = "".join(f' {k}="{v}"' for k, v in attrs.items())
            parts.append(f"<{tag}{rendered}>")
        elif kind == 1:
            parts.append(f"</{tag}>")
        elif kind == 2:
            parts.append(draw(st.text(max_size=60)))
        else:
            parts.append(draw(st.sampled_from(["<!--", "-->", "<![CDATA[", "<?xml version='1.0' encoding='latin-1'?>",
                                               "&amp;", "&#0;", "&#xD800;", "<", ">", "\ufeff"])))
    return "".join(parts)


BODIES = st.one_of(
    html_fragments().map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.text(max_size=500).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=2000),
)
ENCODINGS = st.sampled_from([None, "utf-8", "latin-1", "utf-16", "cp1252", "klingon", "ascii"])
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(body=BODIES, encoding=ENCODINGS)
def test_parse_page_never_raises(body: bytes, encoding: str | None):
    page = parse_page("http://127.0.0.1:8000/dir/page.html", body, encoding=encoding)
    for ref in page.refs:
        assert ref.url.startswith(("http://", "https://"))
        assert ref.region in ("head", "header", "nav", "footer", "aside", "main")


PAGE_CHECKS = checks_of_kind("page")
CONTEXT = PageContext(as_of=date(2026, 11, 25), site_hosts=frozenset({"127.0.0.1:8000"}), config=load_config())


@pytest.mark.parametrize("check", PAGE_CHECKS, ids=[c.code for c in PAGE_CHECKS])
def test_page_checks_never_raise_on_random_pages(check):
    options = check.make_options({})

    @FUZZ
    @given(body=BODIES, encoding=ENCODINGS)
    def fuzz(body: bytes, encoding: str | None) -> None:
        page = parse_page("http://127.0.0.1:8000/p", body, encoding=encoding,
                          headers={"last-modified": "Tue, 01 Jan 2019 00:00:00 GMT"})
        for finding in check.func(page, options, CONTEXT):
            assert finding.code == check.code

    fuzz()
