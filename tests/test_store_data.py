"""Prices as shops write them: the number DATA001-003 compare."""

from __future__ import annotations

import pytest

from checks.site_structure import essential_kinds
from checks.store_data import parse_amount
from checks.structure import tracking_params


@pytest.mark.parametrize(("text", "amount"), [
    ("£64.00", 64.0), ("£1,234.50", 1234.5), ("1.234,50 €", 1234.5), ("₩12,000", 12000.0),
    ("12 000 kr", 12000.0), ("€ 9,99", 9.99), ("-£5.00", -5.0), ("£0.00", 0.0), ("CHF 1'200.00", 1200.0),
    ("Price on request", None),
])
def test_parse_amount(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize(("target", "text", "kinds"), [
    ("https://s/ko/cs", "고객센터 문의", {"contact"}),
    ("https://s/ko/guide", "배송 안내", {"delivery"}),
    ("https://s/ko/policy", "교환 및 반품", {"returns"}),
    ("https://s/ko/p", "개인정보처리방침", {"privacy"}),
    ("https://s/ko/a", "이용약관", {"terms"}),
    ("https://s/help/delivery-and-returns", "Delivery & returns", {"delivery", "returns"}),
    ("https://s/about", "About us", set()),
])
def test_essential_pages_are_recognised_in_english_and_korean(target, text, kinds):
    assert essential_kinds(target, text) == kinds


def test_tracking_params_match_the_crawl_globs():
    ignore = ["utm_*", "sessionid", "jsessionid"]
    assert tracking_params("https://s/a?utm_source=x&sort=price&UTM_Medium=y", ignore) == ["utm_source", "UTM_Medium"]
    assert tracking_params("https://s/a;jsessionid=ABC?x=1", ignore) == ["jsessionid"]
    assert tracking_params("https://s/search?q=utm_source", ignore) == []
