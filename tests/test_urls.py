"""The shortcut for plain URLs gives the very keys w3lib's canonical form gives.

Most of a store's URLs are already canonical (``/img/p12-3-480.jpg``); crawler/urls.py
recognises them and skips canonicalising. These tests hold the shortcut to the long way on
URLs built from plain parts and from every kind of part that must not pass as plain.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from config import DEFAULT_IGNORE_PARAMS
from crawler import urls
from crawler.frontier import Frontier
from crawler.urls import is_plain, normalize, resolve

HOSTS = ["shop.example", "127.0.0.1:8080", "SHOP.example", "xn--caf-dma.example", "a..b", "-a.example",
         "shop.example:80", "shop.example:080", "shop.example:99999", "shop.example:", "[::1]:8000",
         "caf\u00e9.example", "a" * 70 + ".example", "shop_x.example"]
SEGMENTS = ["img", "p12-3-480.jpg", "a.b", ".well-known", "~user", "x_y", ".", "..", "", "%2e", "%41", "a b",
            "caf\u00e9", "a;b=1", "a:b", "a@b", "A%2Fb", "\\", "a\tb", "\u00e9", "+", "!"]
TAILS = ["", "?", "?b=2&a=1", "?utm_source=x", "#top", "#", "?q=%zz"]

url_strategy = st.builds(
    lambda scheme, host, segments, tail: f"{scheme}://{host}/" + "/".join(segments) + tail,
    st.sampled_from(["http", "https", "HTTP", "ftp"]), st.sampled_from(HOSTS),
    st.lists(st.sampled_from(SEGMENTS), max_size=4), st.sampled_from(TAILS))


def long_way(url: str) -> str | None:
    """w3lib's canonical key, or None where it refuses the URL."""
    try:
        return urls._canonical(url)
    except ValueError:
        return None


@settings(max_examples=3000, deadline=None)
@given(url_strategy)
def test_a_url_taken_as_plain_is_exactly_its_canonical_form(url):
    expected = long_way(url)
    if is_plain(url):
        assert expected == url
    elif expected is not None:
        assert normalize(url) == expected


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(HOSTS), url_strategy, st.lists(st.sampled_from(SEGMENTS), max_size=4), st.sampled_from(TAILS))
def test_resolving_a_link_gives_what_joining_and_canonicalising_give(host, absolute, segments, tail):
    base = f"http://{host}/category/shoes"
    for href in ("/" + "/".join(segments) + tail, absolute, "/".join(segments) + tail):
        if not href.strip():
            continue  # no link at all (resolve's None), not a link to the page itself
        try:
            expected = urls._resolve(base, href)
        except ValueError:
            continue
        assert resolve(base, href) == expected, href


def test_the_store_s_own_image_and_page_urls_are_plain():
    assert is_plain("http://127.0.0.1:8080/img/p12-3-480.jpg")
    assert is_plain("https://shop.example/product/red-shoes")
    assert resolve("https://shop.example/category/shoes", "/img/a.jpg") == ("https://shop.example/img/a.jpg", "")


def test_what_canonicalising_would_change_is_not_plain():
    for url in ("https://Shop.example/a", "https://shop.example/a/./b", "https://shop.example/a/../b",
                "https://shop.example/a?x=1", "https://shop.example/a#top", "https://shop.example:99999/a",
                "https://shop.example", "https://shop.example/caf%C3%A9", "https://shop.example:080/a"):
        assert not is_plain(url), url


@settings(max_examples=2000, deadline=None)
@given(url_strategy)
def test_the_frontier_s_canonical_form_is_the_same_with_the_shortcut(url):
    frontier = Frontier(ignore_params=DEFAULT_IGNORE_PARAMS, max_query_variants=0, max_pages_per_pattern=0,
                        max_depth=0, max_pages=0)
    try:
        expected = frontier._canonical(url)
    except ValueError:
        return
    assert frontier.canonical(url) == expected


def test_join_of_a_plain_path_is_origin_and_path():
    """The shortcut in ``resolve`` leans on this: urljoin keeps a plain site-root path as it is."""
    base = "http://127.0.0.1:8080/category/shoes?page=2"
    assert urljoin(base, "/img/x.jpg") == "http://127.0.0.1:8080/img/x.jpg"
    assert urlsplit(urljoin(base, "/img/x.jpg")).fragment == ""
