"""Resuming an interrupted audit from its own database, so a resumed crawl refetches nothing.

Scrapy's JOBDIR persists its scheduler queue only when the crawl closes cleanly, and loses
the requests in flight; the audit database already holds everything needed, and survives
``kill -9`` (batches are written whole, see ``storeaudit.store.BatchWriter``):

* done: every URL with a ``fetches`` row (requested, failed or deliberately skipped);
* pending: every target a parsed page references that has no ``fetches`` row yet, at the
  depth of its page plus one;
* the frontier's counts are rebuilt from the pages parsed and the URLs requested.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlite_utils

from storeaudit.store import expand_parts

__all__ = ["ResumeState", "load_resume_state"]

#: References that are pages: a target linked both as a page and as an asset is resumed as a page.
_PAGE_KINDS = ("a", "area", "iframe", "canonical")


@dataclass
class ResumeState:
    """What an interrupted run already did and what it still has to do."""

    seen: set[str] = field(default_factory=set)
    requested: set[str] = field(default_factory=set)
    parsed: list[str] = field(default_factory=list)
    #: (url, kind, depth) of each reference still to fetch, shallowest first
    pending: list[tuple[str, str, int]] = field(default_factory=list)
    limits_hit: dict[str, dict[str, int]] = field(default_factory=dict)


def load_resume_state(db: sqlite_utils.Database, run_id: int) -> ResumeState:
    expand_parts(db, run_id)  # a crawl killed outright left its template parts' links unexpanded
    state = ResumeState()
    state.requested = {u for (u,) in db.execute("select url from fetches where run_id = ?", [run_id])}
    state.parsed = [u for (u,) in db.execute("select url from pages where run_id = ? order by rowid", [run_id])]
    marks = ",".join("?" * len(_PAGE_KINDS))
    rows = db.execute(
        f"""select l.target, max(l.kind in ({marks})) as page_ref, min(p.depth) + 1 as depth,
                   min(case when l.kind in ({marks}) then l.kind end) as page_kind, min(l.kind)
            from links l join pages p on p.run_id = l.run_id and p.url = l.source
            where l.run_id = ? group by l.target order by depth, min(l.rowid)""",
        [*_PAGE_KINDS, *_PAGE_KINDS, run_id])
    page_refs: dict[str, int] = {}
    for target, page_ref, depth, page_kind, any_kind in rows:
        state.seen.add(target)
        if page_ref:
            page_refs[target] = int(depth)
        if target not in state.requested:
            state.pending.append((target, page_kind if page_ref else any_kind, int(depth)))
    # A page reached through redirects is stored twice: the redirect (under the URL linked to)
    # and the page (under its own URL). After kill -9 the second may be lost with the last batch.
    for url, final in db.execute("select url, final_url from fetches where run_id = ? and chain != '' "
                                 "and error = '' and status between 200 and 299 and content_type like '%html%'",
                                 [run_id]):
        if url in page_refs and final not in state.requested and final not in state.seen:
            state.seen.add(final)
            state.pending.append((final, "a", page_refs[url]))
    state.seen |= state.requested | set(state.parsed)
    row = db.execute("select limits_hit from runs where id = ?", [run_id]).fetchone()
    hits = json.loads(row[0] or "{}") if row else {}
    state.limits_hit = {k: v for k, v in hits.items() if isinstance(v, dict)}
    return state
