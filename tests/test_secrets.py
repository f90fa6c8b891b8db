"""Staging credentials come from environment variables named in config, go only to the store's
own hosts, and never appear in the database, reports, logs or messages."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

from conftest import ROOT, run_cli
from hostile_site import SECRET_COOKIE, SECRET_PASSWORD, SECRET_TOKEN, SECRET_USER, HostileSite

AUTH_CONFIG = """
[crawl]
use_sitemaps = false
timeout = 3.0

[auth]
basic_user_env = "SHOP_USER"
basic_password_env = "SHOP_PASSWORD"
headers_env = { X-Token = "SHOP_TOKEN" }
cookies_env = { session = "SHOP_SESSION" }
"""
ENV = {"SHOP_USER": SECRET_USER, "SHOP_PASSWORD": SECRET_PASSWORD, "SHOP_TOKEN": SECRET_TOKEN,
       "SHOP_SESSION": SECRET_COOKIE}
SECRETS = [SECRET_PASSWORD, SECRET_TOKEN, SECRET_COOKIE,
           base64.b64encode(f"{SECRET_USER}:{SECRET_PASSWORD}".encode()).decode()]

AUDIT_WITH_LOG = """
import sys
from config import load_config
from storeaudit.audit import run_audit
run_audit(sys.argv[1], config=load_config(sys.argv[2]), db_path=sys.argv[3], log_file=sys.argv[4])
"""


def test_secrets_reach_only_the_store_and_are_never_written(tmp_path):
    cfg = tmp_path / "auth.toml"
    cfg.write_text(AUTH_CONFIG)
    db = tmp_path / "audit.db"
    with HostileSite() as partner, HostileSite(external=partner.url) as store:
        start = store.url + "private/"
        cli = run_cli("audit", start, "--config", str(cfg), "--db", str(db), "--format", "json",
                      "-o", str(tmp_path / "report.json"), env=ENV, timeout=120)
        logged = subprocess.run([sys.executable, "-c", AUDIT_WITH_LOG, start, str(cfg), str(db),
                                 str(tmp_path / "scrapy.log")],
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **ENV},
                                capture_output=True, text=True, timeout=120)
        html = run_cli("report", "--db", str(db), "--format", "html", "-o", str(tmp_path / "report.html"))
        partner_saw = [r.headers for r in partner.requests]
        store_saw = [r for r in store.requests if r.path.startswith("/private/")]
    assert cli.code in (0, 1), cli.stderr
    assert logged.returncode == 0, logged.stderr
    assert html.code == 0, html.stderr

    # the store got every credential and its private pages were audited
    assert any(r.headers.get("X-Token") == SECRET_TOKEN for r in store_saw)
    assert (tmp_path / "report.json").read_text().count("/private/missing") >= 1
    # the partner (an external link) got none of them. (It may get the store's own cookie
    # `theme`: cookies are scoped to a host name, not a port, and both servers are 127.0.0.1.)
    assert len(partner_saw) >= 2
    for headers in partner_saw:
        text = repr(headers)
        assert "Authorization" not in headers and "X-Token" not in headers
        assert "session=" not in headers.get("Cookie", "")
        assert not any(secret in text for secret in SECRETS)

    assert (tmp_path / "scrapy.log").stat().st_size > 0
    written = [p for p in tmp_path.iterdir() if p.is_file() and p != cfg]
    assert {"audit.db", "report.json", "report.html", "scrapy.log"} <= {p.name for p in written}
    for path in written:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret!r} leaked into {path.name}"
    for output in (cli.stdout, cli.stderr, logged.stdout, logged.stderr, html.stdout, html.stderr):
        assert not any(secret in output for secret in SECRETS)
    # what is stored is the names of the variables, so a report can say how it was run
    assert b"SHOP_TOKEN" in db.read_bytes() or b"SHOP_TOKEN" in (tmp_path / "audit.db-wal").read_bytes()


def test_a_missing_secret_is_one_line_naming_key_and_variable(tmp_path):
    cfg = tmp_path / "auth.toml"
    cfg.write_text(AUTH_CONFIG.replace('"SHOP_TOKEN"', '"STOREAUDIT_TEST_EMPTY_TOKEN"'))
    result = run_cli("audit", "http://127.0.0.1:1/private/", "--config", str(cfg), "--db", str(tmp_path / "a.db"),
                     env={**ENV, "STOREAUDIT_TEST_EMPTY_TOKEN": ""})
    assert result.code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "auth.headers_env.X-Token" in lines[0], lines
    assert "STOREAUDIT_TEST_EMPTY_TOKEN" in lines[0]
    assert str(cfg) in lines[0]
    assert not any(secret in result.stderr for secret in SECRETS)


def test_an_audit_opens_no_remote_console_and_leaves_no_token_file(demo_audit):
    # Scrapy 2.19 would serve a console that runs Python for whoever reads the token it writes
    # to the user's state directory: an audit holds store credentials, so there is none.
    assert demo_audit["_state_files"] == []
