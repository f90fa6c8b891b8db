"""Optimisations must not change what the audit finds: the demo audit's findings, compared
with a committed golden list (tests/golden/demo_fingerprints.json).

Each entry is a finding's fingerprint (check, page and what it is about, ports removed) with
its code, team, severity and template flag, and its message with the two demo origins
replaced by placeholders. Regenerate the file ONLY when a check's behaviour changes on
purpose (a new check, a fixed false alarm), and say so in the commit:

    STOREAUDIT_REGEN_GOLDEN=1 python -m pytest tests/test_demo_fingerprints.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import run_cli
from storeaudit.demo import DEMO_CONFIG
from storeaudit.demo.server import DemoServer

GOLDEN = Path(__file__).parent / "golden" / "demo_fingerprints.json"


def finding_keys(audit: dict, store_origin: str, external_origin: str) -> list[dict[str, object]]:
    def plain(text: str) -> str:
        return text.replace(store_origin, "{store}").replace(external_origin, "{partner}")

    return sorted(({"fingerprint": f["fingerprint"], "code": f["code"], "team": f["team"],
                    "severity": f["severity"], "template": bool(f["template"]), "message": plain(f["message"])}
                   for f in audit["findings"]), key=lambda e: (e["code"], e["fingerprint"], e["message"]))


def test_demo_findings_match_golden_list(demo_audit, demo_store):
    got = finding_keys(demo_audit, demo_store.origin, demo_store.external_origin)
    assert got, "the demo audit found nothing: the comparison would prove nothing"
    if os.environ.get("STOREAUDIT_REGEN_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    want = json.loads(GOLDEN.read_text())
    missing = [e for e in want if e not in got]
    extra = [e for e in got if e not in want]
    assert not missing and not extra, f"missing: {missing[:5]}\nextra: {extra[:5]}"


def test_the_same_findings_with_pages_read_in_a_worker_process_and_every_check_through_scrapy(tmp_path):
    # The demo audit above checks images and links beside Scrapy and reads its 30 pages in its
    # own process ("auto" starts worker processes after 100 pages): here the other way round.
    config = tmp_path / "demo.toml"
    config.write_text(DEMO_CONFIG.read_text().replace("[crawl]\n", "[crawl]\npage_processes = 1\nfast_checks = false\n", 1))
    assert "page_processes = 1" in config.read_text()
    with DemoServer() as store:  # its own: other tests count the requests the shared one gets
        result = run_cli("audit", store.url, "--config", str(config), "--db", str(tmp_path / "audit.db"),
                         "--format", "json", "--output", "-", "--as-of", "2026-11-25")
    assert result.code == 1, result.stderr
    got = finding_keys(result.json(), store.origin, store.external_origin)
    assert got == json.loads(GOLDEN.read_text())
