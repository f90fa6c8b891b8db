"""The config schema is one table: validation, the example config and its docs agree."""

from __future__ import annotations

import tomllib

import pytest

from config import DEFAULT_CONFIG_PATH, SETTINGS, ConfigError, example_config, glob_match, load_config, parse_config


def test_defaults_load_without_a_file():
    config = load_config(None)
    for setting in SETTINGS:
        assert config[setting.key] == setting.default


def test_example_config_is_valid_toml_with_every_key_commented():
    text = example_config()
    parsed = tomllib.loads(text)
    config = parse_config(parsed)
    assert config.values == load_config(None).values
    for setting in SETTINGS:
        assert f"{setting.name} = " in text
        assert setting.help.split(";")[0][:30] in text


def test_shipped_default_toml_is_the_current_example():
    assert DEFAULT_CONFIG_PATH.read_text() == example_config(), "regenerate: storeaudit config example > config/default.toml"


def test_check_options_are_validated():
    config = parse_config({"checks": {"LINK004": {"ignore": ["top", "main"], "severity": "notice"}}})
    assert config.check_settings("LINK004") == {"ignore": ("top", "main"), "severity": "notice"}
    with pytest.raises(ConfigError, match="checks.LINK004.ignore"):
        parse_config({"checks": {"LINK004": {"ignore": "top"}}})
    with pytest.raises(ConfigError, match="checks.LINK001.colour"):
        parse_config({"checks": {"LINK001": {"colour": "red"}}})
    with pytest.raises(ConfigError, match="checks.LINK001.team"):
        parse_config({"checks": {"LINK001": {"team": "marketing"}}})


def test_routing_rules_are_validated():
    config = parse_config({"report": {"teams": ["content", "it", "marketing"]},
                           "routing": [{"url": "/sale/**", "team": "marketing"}]})
    assert config.routing[0].team == "marketing"
    with pytest.raises(ConfigError, match=r"routing\[0\].team"):
        parse_config({"routing": [{"url": "/sale/**", "team": "sales"}]})
    with pytest.raises(ConfigError, match=r"routing\[0\].status"):
        parse_config({"routing": [{"status": "404", "team": "it"}]})
    with pytest.raises(ConfigError, match=r"routing\[0\].url"):
        parse_config({"routing": [{"url": "blog/*", "team": "it"}]})


def test_booleans_are_not_numbers():
    with pytest.raises(ConfigError, match="crawl.max_pages"):
        parse_config({"crawl": {"max_pages": True}})


@pytest.mark.parametrize("pattern,path,expected", [
    ("/blog/**", "/blog/2024/post", True),
    ("/blog/*", "/blog/2024/post", False),
    ("/blog/*", "/blog/post", True),
    ("/checkout/**", "/basket/", False),
])
def test_url_globs(pattern, path, expected):
    assert glob_match(pattern, path) is expected
