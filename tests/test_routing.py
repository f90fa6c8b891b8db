"""Who fixes what: defaults follow 'editors fix pages, IT fixes the platform'; config rules win."""

from __future__ import annotations

from config import RoutingRule
from storeaudit.fingerprint import fingerprint
from storeaudit.routing import route

PAGE = "https://shop.test/blog/post"


def team(**kw):
    args = dict(code="LINK001", page=PAGE, status_class="4xx", own_host=True, template=False,
                default_team="content", rules=[])
    return route(**{**args, **kw})


def test_a_404_in_content_goes_to_the_content_team():
    assert team() == "content"


def test_template_defects_go_to_it():
    assert team(template=True) == "it"


def test_platform_failures_of_the_store_go_to_it():
    for status in ("5xx", "timeout", "dns", "tls", "connection"):
        assert team(status_class=status) == "it"


def test_another_sites_failure_stays_with_content():
    assert team(status_class="5xx", own_host=False, code="LINK002") == "content"


def test_first_matching_rule_wins():
    rules = [RoutingRule(team="marketing", url="/blog/**"), RoutingRule(team="it", code="LINK*")]
    assert team(rules=rules, template=True) == "marketing"
    assert team(rules=rules, page="https://shop.test/sale/") == "it"
    assert team(rules=[RoutingRule(team="it", status="4xx")]) == "it"


def test_fingerprints_survive_cosmetic_changes():
    hosts = frozenset({"shop.test"})
    a = fingerprint("LINK001", "https://shop.test/a/?x=1&y=2", "https://shop.test/gone/", hosts)
    b = fingerprint("LINK001", "http://SHOP.test/a?y=2&x=1", "https://shop.test/gone", hosts)
    assert a == b
    assert a != fingerprint("LINK002", "https://shop.test/a/", "https://shop.test/gone", hosts)
    assert fingerprint("TEXT001", PAGE, "Too   long\nsentence") == fingerprint("TEXT001", PAGE, "too long sentence")


def test_a_third_team_added_as_the_readme_shows_takes_promotions():
    import re
    import tomllib

    from checks import REGISTRY
    from config import load_config, parse_config
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text().split("### Adding a team", 1)[1]
    snippet = re.search(r"```toml\n(.*?)```", readme, re.S).group(1)
    config = parse_config(tomllib.loads(snippet))
    promo = REGISTRY["PROMO001"]
    assert promo.default_team(config["report.teams"]) == "marketing"
    assert promo.default_team(load_config()["report.teams"]) == "content"  # no marketing team: content
    assert team(rules=config.routing, page="https://shop.test/sale/winter", code="QUAL001") == "marketing"
