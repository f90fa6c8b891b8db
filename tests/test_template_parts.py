"""A store's header, menu and footer are read once and reused on the next page with the same
markup: what a page gives is exactly what reading it alone gives, wherever it sits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_pages import FUZZ, html_fragments

from checks import text_content
from checks.text_content import visible_blocks
from crawler import extract
from crawler.extract import parse_page

HEADER = ('<header class="site-header"><a href="/"><img src="/logo.png" alt="Shop"></a>'
          '<nav><a href="/kettles">Kettles</a> <a href="https://shop.test/sale?b=2&amp;a=1#top">Sale</a>'
          '<a href="//cdn.test/help">Help</a> <a href="mailto:hi@shop.test">Mail us</a></nav></header>')
FOOTER = '<footer><p>Free delivery over 50.</p><a href="/stores">Find a store</a></footer>'


def page(main: str, *, header: str = HEADER, between: str = "") -> bytes:
    return f"<html><body>{header}{between}<main>{main}</main>{FOOTER}</body></html>".encode()


@pytest.fixture(autouse=True)
def nothing_kept():
    """Each test starts with nothing remembered from another test's pages."""
    extract._PART_REFS.clear()
    text_content._REPEATED.clear()
    yield
    extract._PART_REFS.clear()
    text_content._REPEATED.clear()


def read(url: str, body: bytes) -> tuple[list[tuple[str, ...]], list[tuple[object, ...]]]:
    parsed = parse_page(url, body)
    refs = [(r.url, r.fragment, r.kind, r.text, r.region) for r in parsed.refs]
    blocks = [(b.tag, b.text, b.code, b.main) for b in visible_blocks(parsed)]
    return refs, blocks


def read_alone(url: str, body: bytes) -> tuple[list[tuple[str, ...]], list[tuple[object, ...]]]:
    kept = dict(extract._PART_REFS), dict(text_content._REPEATED)
    extract._PART_REFS.clear()
    text_content._REPEATED.clear()
    try:
        return read(url, body)
    finally:
        extract._PART_REFS.update(kept[0])
        text_content._REPEATED.update(kept[1])


def test_the_second_page_with_the_same_header_and_footer_reuses_them_and_reads_as_it_would_alone():
    read("https://shop.test/kettles/copper", page("<h1>Copper kettle</h1>"))
    assert len(extract._PART_REFS) == 2 and text_content._REPEATED  # the header and the footer

    url, body = "https://shop.test/teapots/blue/pot", page("<h1>Blue pot</h1><a href='glaze'>Glaze</a>",
                                                           between="Text between header and main")
    refs, blocks = read(url, body)

    assert (refs, blocks) == read_alone(url, body)
    assert ("https://shop.test/kettles", "", "a", "Kettles", "nav") in refs
    assert ("https://shop.test/teapots/blue/glaze", "", "a", "Glaze", "main") in refs
    assert "Text between header and main" in [text for _, text, _, _ in blocks]  # after the reused header


def test_another_origin_with_the_same_markup_gets_its_own_addresses():
    read("https://shop.test/kettles/copper", page("<h1>Copper kettle</h1>"))
    refs, _ = read("http://other.test:8080/p", page("<h1>Pot</h1>"))
    assert ("http://other.test:8080/kettles", "", "a", "Kettles", "nav") in refs
    assert ("http://cdn.test/help", "", "a", "Help", "nav") in refs  # scheme-relative: the page's scheme


def test_a_header_with_addresses_relative_to_the_page_is_read_again_on_every_page():
    header = '<header><nav><a href="offers">Offers</a> <a href="?sort=price">Cheapest first</a></nav></header>'
    first, _ = read("https://shop.test/kettles/copper", page("<h1>Kettle</h1>", header=header))
    second, _ = read("https://shop.test/teapots/blue", page("<h1>Pot</h1>", header=header))
    assert ("https://shop.test/kettles/offers", "", "a", "Offers", "nav") in first
    assert ("https://shop.test/teapots/offers", "", "a", "Offers", "nav") in second
    assert ("https://shop.test/teapots/blue?sort=price", "", "a", "Cheapest first", "nav") in second


def test_a_base_element_moves_a_reused_header_as_it_would_the_page():
    read("https://shop.test/kettles/copper", page("<h1>Kettle</h1>"))
    body = page("<h1>Pot</h1>").replace(b"<html>", b'<html><head><base href="https://mirror.test/x/"></head>')
    refs, blocks = read("https://shop.test/teapots/blue", body)
    assert ("https://mirror.test/kettles", "", "a", "Kettles", "nav") in refs
    assert (refs, blocks) == read_alone("https://shop.test/teapots/blue", body)


def test_a_header_inside_an_article_is_its_content_and_not_a_template_part():
    article = "<article>" + HEADER.replace(' class="site-header"', "") + "<p>Review text</p></article>"
    read("https://shop.test/a", page(article, header=""))
    refs, blocks = read("https://shop.test/b", page(article, header=""))
    assert ("https://shop.test/kettles", "", "a", "Kettles", "nav") in refs
    assert ("https://shop.test/", "", "a", "Shop", "main") in refs  # the article's own header is main content
    assert (refs, blocks) == read_alone("https://shop.test/b", page(article, header=""))


@FUZZ
@given(template=html_fragments(), main=html_fragments(),
       urls=st.lists(st.sampled_from(["https://shop.test/", "https://shop.test/a/b", "http://shop.test:8080/c?p=2",
                                      "https://other.test/d/"]), min_size=2, max_size=3))
def test_any_markup_in_a_header_reads_the_same_reused_as_alone(template, main, urls):
    extract._PART_REFS.clear()
    text_content._REPEATED.clear()
    for tag in ("header", "nav", "footer"):
        for outside, after in (("", ""), ("<article>", "</article>"), ("<aside>", "</aside>"), ("<pre>", "</pre>")):
            part = f"{outside}<{tag}>{template}</{tag}>{after}"
            body = f"<html><body>{part}tail<main>{main}</main></body></html>".encode("utf-8", "surrogatepass")
            for url in urls:
                assert read(url, body) == read_alone(url, body)
