"""Bad input gets one clear line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import socket

from conftest import run_cli


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_one_line_error(result, *words: str) -> None:
    assert result.code == 2, (result.code, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("storeaudit: error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in errors[0], errors[0]


def test_unreachable_start_url_exits_2(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/"
    result = run_cli("audit", url, "--db", str(tmp_path / "a.db"), "--format", "json", "-o", "-")
    assert_one_line_error(result, "start URL unreachable", url)
    assert result.stdout == ""


def test_non_http_start_url_exits_2(tmp_path):
    result = run_cli("audit", "ftp://127.0.0.1/shop", "--db", str(tmp_path / "a.db"))
    assert_one_line_error(result, "http://", "ftp://127.0.0.1/shop")
    assert not (tmp_path / "a.db").exists()


def test_malformed_config_names_the_file(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[crawl\nmax_pages = 3\n")
    result = run_cli("audit", "http://127.0.0.1:1/", "--config", str(cfg), "--db", str(tmp_path / "a.db"))
    assert_one_line_error(result, str(cfg), "TOML")


def test_unknown_config_key_names_key_and_file(tmp_path):
    cfg = tmp_path / "typo.toml"
    cfg.write_text("[crawl]\nmax_pgaes = 3\n")
    result = run_cli("audit", "http://127.0.0.1:1/", "--config", str(cfg), "--db", str(tmp_path / "a.db"))
    assert_one_line_error(result, "crawl.max_pgaes", str(cfg), "max_pages")


def test_wrong_type_in_config_says_what_is_expected(tmp_path):
    cfg = tmp_path / "type.toml"
    cfg.write_text('[crawl]\ntimeout = "fast"\n')
    result = run_cli("config", "check", str(cfg))
    assert_one_line_error(result, "crawl.timeout", str(cfg), "expected a number")


def test_unknown_check_code_in_config(tmp_path):
    cfg = tmp_path / "check.toml"
    cfg.write_text("[checks.LINK999]\nenabled = false\n")
    result = run_cli("config", "check", str(cfg))
    assert_one_line_error(result, "checks.LINK999", str(cfg))


def test_missing_config_file(tmp_path):
    result = run_cli("config", "check", str(tmp_path / "nope.toml"))
    assert_one_line_error(result, "nope.toml")


def test_report_from_an_empty_database_exits_2(tmp_path):
    result = run_cli("report", "--db", str(tmp_path / "none.db"), "--format", "json")
    assert_one_line_error(result, "none.db")


def test_unknown_check_code_for_explain():
    assert_one_line_error(run_cli("explain", "NOPE1"), "NOPE1")


def test_ignore_rule_without_reason_names_the_key(tmp_path):
    cfg = tmp_path / "ignore.toml"
    cfg.write_text('[[ignore]]\ncode = "LINK002"\n')
    assert_one_line_error(run_cli("config", "check", str(cfg)), "ignore[0].reason", str(cfg))


def test_missing_baseline_file_exits_2_before_crawling(tmp_path):
    result = run_cli("audit", f"http://127.0.0.1:{closed_port()}/", "--db", str(tmp_path / "a.db"),
                     "--baseline", str(tmp_path / "nope.json"))
    assert_one_line_error(result, "nope.json")
    assert not (tmp_path / "a.db").exists()


def test_a_glob_that_can_never_match_names_key_and_file(tmp_path):
    cfg = tmp_path / "glob.toml"
    cfg.write_text('[crawl]\nexclude = ["/logout*"]\n')
    result = run_cli("config", "check", str(cfg))
    assert_one_line_error(result, "crawl.exclude", str(cfg), "glob over the whole URL", "/logout*")


def test_a_bad_parameter_glob_names_key_and_file(tmp_path):
    cfg = tmp_path / "params.toml"
    cfg.write_text('[crawl]\nignore_params = ["sid=1"]\n')
    result = run_cli("config", "check", str(cfg))
    assert_one_line_error(result, "crawl.ignore_params", str(cfg), "parameter name")


def test_auth_headers_must_name_environment_variables(tmp_path):
    cfg = tmp_path / "auth.toml"
    cfg.write_text('[auth]\nheaders_env = { X-Token = 42 }\n')
    result = run_cli("config", "check", str(cfg))
    assert_one_line_error(result, "auth.headers_env", str(cfg), "environment variable names")


def test_a_start_url_on_another_scheme_exits_2_for_resume_too(tmp_path):
    result = run_cli("audit", "file:///etc/passwd", "--db", str(tmp_path / "a.db"), "--resume")
    assert_one_line_error(result, "http://", "file:///etc/passwd")
