"""Running checks: page checks on each parsed page, site checks over a finished crawl."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from datetime import date

from checks.context import PageContext, RunContext
from checks.registry import REGISTRY, Check, Finding, checks_of_kind
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


def run_site_checks(ctx: RunContext) -> Iterator[Finding]:
    """Site checks and flow checks: both read the finished run from the database."""
    for check, options in enabled_checks(ctx.config, "site") + enabled_checks(ctx.config, "flow"):
        try:
            yield from check.func(ctx, options)
        except Exception:
            logger.exception("check %s failed", check.code)
