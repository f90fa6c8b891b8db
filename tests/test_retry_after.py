"""Retry-After values are read the way servers send them."""

from crawler.middlewares import retry_after_seconds


def test_seconds_and_http_dates():
    assert retry_after_seconds(b"3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480) == 10.0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None
