"""Running checks: page checks on each parsed page, site checks over a finished crawl."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

from checks.context import PageContext, RunContext
from checks.registry import REGISTRY, Check, Finding, checks_of_kind
from checks.site_threads import ThreadedChecks, file_of
from config import Config
from crawler.extract import ParsedPage

logger = logging.getLogger(__name__)

__all__ = ["PageCheckRunner", "enabled_checks", "finding_row", "run_site_checks"]


def enabled_checks(config: Config, kind: str) -> list[tuple[Check, Any]]:
    """The checks of ``kind`` switched on in ``config``, each with its options object."""
    out = []
    for check in checks_of_kind(kind):  # type: ignore[arg-type]
        settings = config.check_settings(check.code)
        if settings.get("enabled", True):
            out.append((check, check.make_options(settings)))
    return out


def finding_row(run_id: int, f: Finding) -> dict[str, Any]:
    """A raw findings row; team, severity and fingerprint are assigned when the run finishes."""
    check = REGISTRY[f.code]
    return {
        "run_id": run_id, "code": f.code, "category": check.category, "team": "", "severity": "",
        "page": f.page, "target": f.target, "message": f.message,
        "evidence": json.dumps(f.evidence, ensure_ascii=False, sort_keys=True, default=str),
        "grp": f.group or f.target or f.message, "region": f.region, "status_class": f.status_class,
        "own_host": int(f.own_host), "template": int(f.template), "fingerprint": "",
    }


class PageCheckRunner:
    """Runs every enabled page check on a page; one failing check never stops the others."""

    def __init__(self, config: Config, *, site_hosts: set[str], as_of: date):
        self.checks = enabled_checks(config, "page")
        self.context = PageContext(as_of=as_of, site_hosts=frozenset(site_hosts), config=config)

    def run(self, page: ParsedPage) -> Iterator[Finding]:
        for check, options in self.checks:
            try:
                yield from check.func(page, options, self.context)
            except Exception:  # a check bug must cost one result, not the audit
                logger.exception("check %s failed on %s", check.code, page.url)

    @staticmethod
    def row(run_id: int, f: Finding) -> dict[str, Any]:
        return finding_row(run_id, f)


#: Threads that run site checks, each on its own connection: SQLite lets go of the GIL while
#: it steps a statement, and at the end of an audit the page worker's core is free.
SITE_CHECK_THREADS = 2


def run_site_checks(ctx: RunContext, *, threads: int = SITE_CHECK_THREADS) -> Iterator[Finding]:
    """Site checks and flow checks: both read the finished run from the database.

    Findings come in the checks' order however many ``threads`` run them (0.46 -> 0.26 s at
    1,000 pages with two). A database without a file (``:memory:``) is checked in the
    caller's thread.
    """
    todo = enabled_checks(ctx.config, "site") + enabled_checks(ctx.config, "flow")
    path = file_of(ctx.db) if threads > 1 and len(todo) > 1 else ""
    if not path:
        for check, options in todo:
            yield from _findings(check, options, ctx)
        return
    yield from ThreadedChecks(ctx, todo, path, threads).run()


def _findings(check: Check, options: Any, ctx: RunContext) -> Iterator[Finding]:
    try:
        yield from check.func(ctx, options)
    except Exception:  # a check bug must cost its findings, not the audit's
        logger.exception("check %s failed", check.code)
