"""Shared query for link and image checks: references whose target fetch failed.

A target is fetched once per run; a reference is an edge (page → target) in ``links``. The
join gives one row per page and target, with every region and link text it appears with.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from checks.context import RunContext, describe_failure, load_json
from checks.registry import Finding
from crawler.urls import status_class

__all__ = ["broken_references", "reference_finding"]

#: Failures that are not the link's fault: the server asked us to slow down or refused a bot.
NOT_BROKEN_STATUSES = (429,)
#: Extra statuses ignored for other sites' URLs: bot walls answer 401/403 to crawlers.
EXTERNAL_NOT_BROKEN = (401, 403, 429)
REDIRECT_ERRORS = ("redirect-loop", "too-many-redirects", "bad-redirect")


def broken_references(run: RunContext, kinds: Iterable[str], *, same_site: bool | None = None,
                      redirect_errors: bool = False) -> Iterator[dict[str, Any]]:
    """Rows (page, target, kinds, texts, regions, status, error, chain) for failed targets."""
    kinds = list(kinds)
    marks = ", ".join(f":k{i}" for i in range(len(kinds)))
    params: dict[str, Any] = {f"k{i}": k for i, k in enumerate(kinds)}
    site_filter = ""
    if same_site is not None:
        site_filter = "and f.same_site = :same"
        params["same"] = int(same_site)
    redirect = " or ".join(f"f.error like '{e}:%'" for e in REDIRECT_ERRORS)
    if redirect_errors:
        failed = f"({redirect})"
    else:
        failed = (f"(((f.error != '' and not ({redirect})) or f.status >= 400) "
                  f"and coalesce(f.status, 0) not in (429) "
                  f"and (f.same_site = 1 or coalesce(f.status, 0) not in (401, 403)))")
    # From the failed fetches (~1 %) to the links to them, in that order (CROSS JOIN keeps it):
    # left to itself SQLite read every link of the run first, 0.95 s instead of 0.15 s at
    # 10,000 pages for each of the six checks that ask.
    sql = f"""
        select s.url as page, t.url as target, group_concat(distinct e.kind) as kinds,
               group_concat(distinct e.text) as texts, group_concat(distinct e.region) as regions,
               f.status, f.error, f.chain, f.same_site, f.final_url
        from fetches f cross join urls t on t.url = f.url
             cross join link_edges e on e.run_id = f.run_id and e.target_id = t.id
             cross join urls s on s.id = e.source_id
        where f.run_id = :run and e.kind in ({marks}) and f.skipped = '' {site_filter}
          and {failed}
        group by s.url, t.url
        order by t.url, s.url
    """
    for row in run.query(sql, params):
        yield row


def reference_finding(code: str, row: dict[str, Any], message: str) -> Finding:
    """A finding for one page that references a failed target, with where and what it says."""
    regions = (row["regions"] or "main").split(",")
    region = next((r for r in regions if r in ("header", "nav", "footer")), regions[0])
    texts = [t for t in (row["texts"] or "").split(",") if t]
    evidence: dict[str, Any] = {
        "status": row["status"],
        "element": (row["kinds"] or "").split(",")[0],
        "text": texts[0] if texts else "",
        "region": region,
    }
    if row["error"]:
        evidence["error"] = row["error"]
    chain = load_json(row["chain"], [])
    if chain:
        evidence["redirects"] = chain
    return Finding(
        code=code,
        page=row["page"],
        target=row["target"],
        group=row["target"],
        message=message.format(failure=describe_failure(row["status"], row["error"])),
        evidence=evidence,
        region=region,
        status_class=status_class(row["status"], row["error"]),
        own_host=bool(row["same_site"]),
    )
