"""The trap guards' building blocks: canonical URLs, URL patterns and the caps."""

from __future__ import annotations

from config import DEFAULT_IGNORE_PARAMS
from crawler.frontier import Frontier, url_pattern
from crawler.urls import host_key


def frontier(**kw) -> Frontier:
    opts = dict(ignore_params=DEFAULT_IGNORE_PARAMS, max_query_variants=2, max_pages_per_pattern=2,
                max_depth=3, max_pages=100)
    return Frontier(**{**opts, **kw})


def test_tracking_and_session_parameters_are_dropped_and_the_query_sorted():
    f = frontier()
    assert f.canonical("http://s/p?b=2&utm_source=x&a=1&SID=9#frag") == "http://s/p?a=1&b=2"
    assert f.canonical("http://s/cart;jsessionid=ABC?PHPSESSID=1") == "http://s/cart"
    assert f.canonical("http://s/p;v=1;jsessionid=ABC") == "http://s/p;v=1"
    assert f.canonical("http://s/p?utm_campaign=a&utm_medium=b") == "http://s/p"
    assert f.canonical("http://s/p?sidebar=1") == "http://s/p?sidebar=1"  # a glob, not a prefix
    assert frontier(ignore_params=[]).canonical("http://s/p?sid=1") == "http://s/p?sid=1"


def test_url_patterns_abstract_numbers_dates_and_ids_only():
    assert url_pattern("/calendar/2026/05") == "/calendar/{n}/{n}"
    assert url_pattern("/events/2026-05-01/") == "/events/{n}/"
    assert url_pattern("/p/0f8e2a9c1b3d4e5f6a7b") == "/p/{n}"
    assert url_pattern("/product/chef-knife-8in") == "/product/chef-knife-8in"


def test_caps_say_which_limit_held_a_url_back_and_where():
    f = frontier()
    assert [f.admit(f"http://s/shoes?c={i}") for i in range(4)] == ["", "", "query_variants", "query_variants"]
    assert f.admit("http://s/shoes") == ""  # no query: not a variant
    assert [f.may_follow(f"http://s/cal/{i}", 1) for i in range(3)] == ["", "", "url_pattern"]
    assert f.may_follow("http://s/deep/a/a/a/a", 4) == "max_depth"
    assert f.limits_hit == {"query_variants": {"/shoes": 2}, "url_pattern": {"/cal/{n}": 1},
                            "max_depth": {"/deep/": 1}}


def test_replay_rebuilds_the_counts_of_an_interrupted_crawl():
    f = frontier()
    f.replay(parsed=["http://s/cal/1", "http://s/cal/2"], requested=["http://s/shoes?c=1"],
             limits_hit={"max_depth": {"/deep/": 3}})
    assert f.pages == 2
    assert f.may_follow("http://s/cal/3", 1) == "url_pattern"
    assert f.admit("http://s/shoes?c=2") == "" and f.admit("http://s/shoes?c=3") == "query_variants"
    assert f.limits_hit["max_depth"] == {"/deep/": 3}


def test_the_same_site_key_is_host_and_port_with_default_ports_dropped():
    assert host_key("https://Shop.Example:443/a?b#c") == host_key("https://shop.example?x") == "shop.example"
    assert host_key("http://127.0.0.1:8080/p") == host_key("http://127.0.0.1:8080#top") == "127.0.0.1:8080"
    assert host_key("http://user:pw@shop.example:81/") == "shop.example:81"
    assert host_key("http://[::1]:8080/p") == "::1:8080"
    assert host_key("http://shop.example:bad/") == "shop.example"  # a broken port is no port
    assert host_key("/relative") == host_key("mailto:a@b") == ""
