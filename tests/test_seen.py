"""crawler/seen.py: the crawl's set of scheduled URLs, kept off the Python heap."""

from __future__ import annotations

import tracemalloc

from crawler.seen import SeenUrls


def test_behaves_as_a_set_of_urls():
    seen = SeenUrls(["http://shop/a"])
    assert "http://shop/a" in seen and "http://shop/b" not in seen and 42 not in seen
    assert seen.add_new("http://shop/b") and not seen.add_new("http://shop/b")
    seen |= {"http://shop/a", "http://shop/c"}
    seen.add("http://shop/c")
    assert len(seen) == 3


def test_add_fresh_returns_each_new_url_once():
    seen = SeenUrls(["http://shop/a"])
    assert seen.add_fresh(["http://shop/a", "http://shop/b", "http://shop/b", "http://shop/c"]) == {
        "http://shop/b", "http://shop/c"}
    assert seen.add_fresh(["http://shop/b"]) == set() and seen.add_fresh([]) == set()
    many = [f"http://shop/p{i}" for i in range(1200)]  # more than one IN (...) chunk
    assert seen.add_fresh(many) == set(many)
    assert seen.add_fresh(many + ["http://shop/z"]) == {"http://shop/z"}
    assert len(seen) == 3 + 1200 + 1


def test_memory_does_not_grow_with_the_urls():
    seen = SeenUrls()
    seen.add_fresh(f"http://shop/warm{i}" for i in range(1000))
    tracemalloc.start()
    for page in range(200):
        seen.add_fresh(f"http://shop/product/{page}/img-{i}.jpg" for i in range(500))
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(seen) == 1000 + 100_000
    # 100,000 URL strings in a set hold ~10 MB of Python objects; the table holds none.
    assert current < 1_000_000, current


def test_urls_stay_seen_while_the_recent_ones_are_remembered_and_forgotten():
    from crawler.seen import RECENT

    seen = SeenUrls()
    template = [f"http://shop/nav/{i}" for i in range(100)]  # on every page
    for page in range(3 * RECENT // 40):
        fresh = seen.add_fresh(template + [f"http://shop/p{page}/img{i}" for i in range(40)])
        assert len(fresh) == (140 if page == 0 else 40)
    assert seen.add_fresh(f"http://shop/p{page}/img{i}" for page in range(3 * RECENT // 40) for i in range(40)) == set()
    assert all(url in seen for url in template) and "http://shop/p0/img0" in seen
    assert not seen.add_new("http://shop/p0/img0") and seen.add_new("http://shop/new")
    assert len(seen) == 100 + 40 * (3 * RECENT // 40) + 1
