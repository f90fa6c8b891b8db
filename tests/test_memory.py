"""The memory of the end of an audit: what it frees after its crawl, and the replay that measures it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from checks import readability
from checks.readability import score_text
from crawler import urls
from storeaudit.audit import release_crawl_memory

ROOT = Path(__file__).resolve().parent.parent


def test_the_crawl_caches_are_emptied_before_the_report():
    urls.resolve("http://127.0.0.1:8000/a", "b?x=1")
    urls.normalize("http://127.0.0.1:8000/c?b=2&a=1")  # not plain: canonicalised and remembered
    score_text("Short words. Short lines.", "en")
    assert urls._canonical.cache_info().currsize and score_text.cache_info().currsize
    assert readability._counted.cache_info().currsize, "the paragraph counts TEXT001 keeps"

    release_crawl_memory()

    assert urls._canonical.cache_info().currsize == 0
    assert score_text.cache_info().currsize == 0
    assert readability._counted.cache_info().currsize == 0


def test_the_end_of_an_audit_can_be_replayed_step_by_step(demo_audit, tmp_path):
    """bench/end_of_audit.py (how the 100,000-page peak was found) runs on a real audit's database."""
    db = tmp_path / "copy.db"
    shutil.copy(demo_audit["_db"], db)
    result = subprocess.run([sys.executable, "-m", "bench.end_of_audit", str(db)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    steps = [line.split()[0] for line in result.stdout.splitlines()[1:]]
    assert "STRUCT011" in steps and steps[-2:] == ["assign", "report"]
    assert all(" MB, +" in line for line in result.stdout.splitlines()[1:])
