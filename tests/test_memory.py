"""What an audit frees between its crawl and its report (the report is made in the same process)."""

from __future__ import annotations

from checks.readability import score_text
from crawler.urls import normalize, resolve
from storeaudit.audit import release_crawl_memory


def test_the_crawl_caches_are_emptied_before_the_report():
    resolve("http://127.0.0.1:8000/a", "/b")
    normalize("http://127.0.0.1:8000/c?b=2&a=1")
    score_text("Short words. Short lines.", "en")
    assert normalize.cache_info().currsize and score_text.cache_info().currsize

    release_crawl_memory()

    assert normalize.cache_info().currsize == 0
    assert score_text.cache_info().currsize == 0
