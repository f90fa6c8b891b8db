"""The benchmark cannot rot: a 300-page, one-run bench of every tool on a generated store.

No timings are asserted (the machine is shared); only that each tool crawled the whole store
and that the JSON carries the numbers and ratios docs/performance.md is built from.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                                reason="nginx not installed (apt-get install nginx-light; .ci/run does)")


def test_bench_smoke(tmp_path):
    out = tmp_path / "results" / "bench.json"  # in a folder not made yet: the bench makes it
    workers = shutil.which("redis-server") is not None  # the --workers 2 row needs a Redis server
    tools = "bare,full,full-w2,linkchecker" if workers else "bare,full,linkchecker"
    proc = subprocess.run([sys.executable, "-m", "bench", "--pages", "300", "--runs", "1", "--site",
                           str(tmp_path / "site"), "--out", str(out), "--tools", tools], cwd=ROOT,
                          capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())
    site_pages = data["site"]["pages"]
    assert 280 <= site_pages <= 330
    measures = {m["tool"]: m for m in data["measures"]}
    assert set(measures) == {"bare-scrapy", "storeaudit", "linkchecker"} | ({"storeaudit-w2"} if workers else set())
    for tool, m in measures.items():
        assert m["exit_code"] in (0, 1), (tool, m)  # 1: an audit or LinkChecker that found broken links
        assert m["wall_s"] > 0 and m["cpu_s"] > 0 and m["peak_rss_mb"] > 10, (tool, m)
        assert 10 < m["peak_pss_mb"] <= m["peak_rss_mb"], (tool, m)  # shared pages counted once
    # Each tool crawled the whole store (a few more: 404 pages of broken links, redirects).
    assert site_pages <= measures["bare-scrapy"]["pages"] <= 1.5 * site_pages
    assert site_pages <= measures["storeaudit"]["pages"] <= 1.5 * site_pages
    # pages/s compares like with like: both count the store's 2xx HTML pages (not the 404 pages
    # of its broken links, which bare Scrapy also fetches and reads)
    assert measures["bare-scrapy"]["pages"] == measures["storeaudit"]["pages"], measures
    assert measures["bare-scrapy"]["extra"]["responses"] > measures["bare-scrapy"]["pages"]
    full = measures["storeaudit"]["extra"]
    assert full["status"] == "complete" and full["findings"] > 0 and full["db_bytes_per_page"] > 0
    # CPU per process, sampled: the crawler's and its page worker's (it starts with the audit)
    assert full["cpu_s_crawler"] > 0 and full["cpu_s_children"] > 0, full
    assert full["cpu_s_crawler"] + full["cpu_s_children"] <= measures["storeaudit"]["cpu_s"] + 0.5, full
    # storeaudit and LinkChecker checked the same URLs (pages, images, broken links) give or take a few.
    urls = measures["linkchecker"]["extra"]["urls"]
    assert 0.9 * urls <= full["fetches"] <= 1.1 * urls, (full["fetches"], urls)
    if workers:  # two workers audit the same store: the same URLs, the same findings
        two = measures["storeaudit-w2"]["extra"]
        assert two["status"] == "complete" and two["findings"] == full["findings"], (two, full)
        assert site_pages <= measures["storeaudit-w2"]["pages"] <= 1.5 * site_pages
    assert set(data["ratios"]) == {"full_over_bare", "full_over_linkchecker", "full_over_bare_by_wall",
                                   "full_over_linkchecker_by_wall", "full_over_bare_median_of_runs",
                                   "full_over_linkchecker_median_of_runs"} | (
        {"workers2_over_full"} if workers else set())
    assert all(v > 0 for v in data["ratios"].values())
    # one run: the median of the runs' ratios is that run's ratio, the ratio of the medians too
    assert data["ratios"]["full_over_bare_median_of_runs"] == pytest.approx(data["ratios"]["full_over_bare"])
    assert data["medians"]["storeaudit"]["pages_per_s"] > 0


def test_bench_ab_alternates_two_commits_on_one_store_and_cleans_up(tmp_path):
    out = tmp_path / "ab.json"
    proc = subprocess.run([sys.executable, "-m", "bench.ab", "--base", "HEAD", "--pages", "300", "--rounds", "2",
                           "--site", str(tmp_path / "site"), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())
    assert [len(data["runs"][name]) for name in ("base", "new")] == [2, 2]
    for m in data["runs"]["base"] + data["runs"]["new"]:
        assert m["exit_code"] in (0, 1) and m["wall_s"] > 0 and m["cpu_s"] > 0, m
    assert set(data["new_over_base"]) == {"wall_s", "cpu_s"}
    # which went first alternates, so a machine that slows down does not favour one
    assert proc.stdout.index("round 1: base") < proc.stdout.index("round 1: new")
    assert proc.stdout.index("round 2: new") < proc.stdout.index("round 2: base")
    worktrees = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True).stdout
    assert "bench-ab-" not in worktrees  # the base commit's checkout is removed
