"""One audit from start to end: crawl, check, route, record how it ended.

The CLI calls :func:`run_audit`; the crawl itself runs in-process under Scrapy, and when the
spider closes the pipeline calls :func:`finish_run`, which runs the site checks, gives every
finding its team, severity, template flag and fingerprint, and records the run's status.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import ipaddress
import json
from typing import Any
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import sqlite_utils

from checks.context import RunContext, describe_failure
from checks.registry import REGISTRY
from checks.runner import finding_row, run_site_checks
from config import Config, ConfigError, load_config
from crawler import collector
from crawler.urls import host_key, normalize
from storeaudit.fingerprint import fingerprint
from storeaudit.routing import route
from storeaudit.store import BatchWriter, create_run, expand_parts, finish_run_row, open_db, reopen_run

__all__ = ["AuditError", "finish_run", "new_run", "run_audit", "validate_start_url"]

TEMPLATE_REGIONS = ("header", "nav", "footer")
SECRET_SETTINGS = frozenset({"notify.webhook_url"})


class AuditError(Exception):
    """The audit itself could not run (exit code 2); the message is one line for the user."""


def validate_start_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise AuditError(f"start URL must be an http:// or https:// address, got {url!r}")
    if not parts.hostname:
        raise AuditError(f"start URL has no host name: {url!r}")
    return url.strip()


def is_local(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_run(db: sqlite_utils.Database, start_url: str, config: Config, *, as_of: date) -> int:
    # A webhook URL often carries a secret token: never store it.
    settings = {k: v for k, v in config.values.items() if k not in SECRET_SETTINGS}
    settings["config_file"] = config.source
    settings["ignore"] = [dataclasses.asdict(rule) for rule in config.ignore]  # reports read them
    return create_run(db, start_url=start_url, site=host_key(start_url), as_of=as_of.isoformat(),
                      settings=settings)


def run_audit(url: str, *, config: Config, db_path: str | Path, as_of: date | None = None,
              log_file: str | Path | None = None, progress: bool = False, resume: bool = False) -> int:
    """Crawl and check ``url``; returns the run id. Raises :class:`AuditError` if it cannot run.

    Scrapy's own log (with tracebacks of network errors that are findings, not failures) goes
    to ``log_file`` when given and nowhere otherwise; the CLI prints its own one-line messages.
    ``progress`` turns on the live progress line on stderr (``crawler/progress.py``).
    With ``resume`` the latest interrupted run of ``url`` is continued under its own id: what
    its database holds is not fetched again (``crawler/resume.py``).
    """
    from crawler.auth import auth_values

    url = validate_start_url(url)
    auth_values(config)  # a missing secret is a config error before anything is crawled
    # The page workers first: their imports run on another core while this process imports
    # Scrapy and opens the database, and they are up when the first page arrives. (A resumed
    # run checks pages as of its own date, which its database holds.)
    page_work = None if resume else _page_work(url, config, as_of or date.today())
    try:
        from scrapy.crawler import AsyncCrawlerProcess

        from crawler.resume import load_resume_state
        from crawler.runner import scrapy_settings
        from crawler.spiders.audit import AuditSpider

        db = open_db(db_path)
        state = None
        if resume:
            run_id, as_of = _interrupted_run(db, normalize(url))
            state = load_resume_state(db, run_id)
            reopen_run(db, run_id)
            page_work = _page_work(url, config, as_of)
        else:
            as_of = as_of or date.today()
            run_id = new_run(db, normalize(url), config, as_of=as_of)
        settings = scrapy_settings(config, db_path=db_path, local=is_local(url))
        settings.set("STOREAUDIT_PROGRESS", progress, priority="cmdline")
        log_to(settings, log_file)
        process = AsyncCrawlerProcess(settings)
        process.crawl(AuditSpider, url=url, config=config, run_id=run_id, as_of=as_of, resume=state,
                      page_work=page_work)
        collector.settle()
        try:
            process.start()
        finally:
            collector.unsettle()
    finally:
        if page_work is not None:
            page_work.close()
    run = db["runs"].get(run_id)
    if run["status"] == "failed":
        raise AuditError(run["message"])
    if run["status"] == "running":  # the crawl died before the pipeline could finish the run
        finish_run_row(db, run_id, status="interrupted", message="the crawl stopped unexpectedly")
    release_crawl_memory()
    return run_id


def _page_work(url: str, config: Config, as_of: date) -> Any:
    """The audit's page workers (crawler/page_work.py), started."""
    from crawler.page_work import PageWork
    from crawler.runner import page_processes, site_hosts

    return PageWork(config, site_hosts=site_hosts(url, config), as_of=as_of, processes=page_processes(config),
                    parts=True).start()


def release_crawl_memory() -> None:
    """Free what only the crawl needed before the report is made in this process: its caches
    of URLs, scored texts and dates (~40 MB when full), then the heap they leave, so the site
    checks and the report start from the crawl's leftovers alone."""
    from checks.dates import parse_text_date
    from checks import readability
    from crawler import urls

    urls.clear_caches()
    readability.clear_caches()
    parse_text_date.cache_clear()
    gc.collect()
    try:  # glibc keeps freed heap pages; elsewhere there is nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def log_to(settings: Any, log_file: str | Path | None) -> None:
    """Scrapy's log goes to ``log_file``, or nowhere: network errors that are findings would
    otherwise print tracebacks."""
    if log_file:
        settings.set("LOG_FILE", str(log_file), priority="cmdline")
        settings.set("LOG_LEVEL", "INFO", priority="cmdline")
    else:
        settings.set("LOG_ENABLED", False, priority="cmdline")


def _interrupted_run(db: sqlite_utils.Database, start_url: str) -> tuple[int, date]:
    """The latest interrupted run of ``start_url``, made ready to continue (its site checks dropped)."""
    row = db.execute("select id, as_of, status from runs where start_url = ? order by id desc limit 1",
                     [start_url]).fetchone()
    if row is None or row[2] != "interrupted":
        raise AuditError(f"no interrupted audit of {start_url} to resume in this database"
                         + (f" (its latest run is {row[2]})" if row else ""))
    run_id, as_of, _ = row
    page_codes = [c.code for c in REGISTRY.values() if c.kind == "page"]
    with db.conn:  # site checks run again over the whole run when it finishes
        db.execute(f"delete from findings where run_id = ? and code not in ({','.join('?' * len(page_codes))})",
                   [run_id, *page_codes])
    return int(run_id), date.fromisoformat(as_of)


#: Why a crawl ended early, in words for the report banner and the CLI.
STOP_REASONS = {
    "shutdown": "the crawl was stopped by a signal (Ctrl-C or SIGTERM); continue it with "
                "`storeaudit audit URL --resume`",
    "wall": "the store refused {n} requests in a row (403/429), so the audit stopped instead of "
            "hammering it; ask for the audit's user agent or IP to be allowed, or slow it down "
            "(crawl.delay), then resume with `storeaudit audit URL --resume`",
}


def finish_run(db: sqlite_utils.Database, run_id: int, config: Config, *, reason: str, start_url: str,
               site_hosts: set[str], limits_hit: dict[str, dict[str, int]], as_of: date) -> None:
    """Walk the checkout flows, run the site and flow checks, assign teams and record the
    run's status (called once, at the end)."""
    expand_parts(db, run_id)  # the template parts' links, kept once during the crawl, for every page
    failure = _start_failure(db, run_id, start_url)
    if failure:
        finish_run_row(db, run_id, status="failed", message=failure, limits_hit=limits_hit)
        return
    if reason == "finished":  # a crawl stopped early leaves the store alone
        from storeaudit.flows.runner import run_flows  # httpx: after the crawl, not before its first page

        run_flows(db, run_id, config, site_hosts=frozenset(site_hosts))
    ctx = RunContext(db=db, run_id=run_id, config=config, site_hosts=set(site_hosts), as_of=as_of)
    writer = BatchWriter(db, batch_size=5000, max_age=1e9)
    writer.extend("findings", (finding_row(run_id, f) for f in run_site_checks(ctx)))
    writer.flush()
    assign_findings(db, run_id, config, site_hosts=frozenset(site_hosts))
    status = "complete" if reason == "finished" else "interrupted"
    message = "" if status == "complete" else STOP_REASONS.get(
        reason, f"the crawl was stopped early ({reason})").format(n=config["crawl.wall_after"])
    finish_run_row(db, run_id, status=status, message=message, limits_hit=limits_hit)


def _start_failure(db: sqlite_utils.Database, run_id: int, start_url: str) -> str:
    """Why the start URL could not be audited, or '' when it could."""
    row = db.execute("select status, error, skipped from fetches where run_id = ? and url = ?",
                     [run_id, start_url]).fetchone()
    if row is None:
        return f"start URL could not be fetched: {start_url}"
    status, error, skipped = row
    if skipped == "robots":
        return f"robots.txt disallows the start URL {start_url} (set crawl.respect_robots = false to audit it anyway)"
    if error or status is None or status >= 400:
        return f"start URL unreachable: {start_url} ({describe_failure(status, error)})"
    pages = db.execute("select count(*) from pages where run_id = ?", [run_id]).fetchone()[0]
    if pages == 0:
        return f"start URL is not an HTML page of the store: {start_url}"
    return ""


def assign_findings(db: sqlite_utils.Database, run_id: int, config: Config, *,
                    site_hosts: frozenset[str], only_unassigned: bool = False) -> None:
    """Give every finding of the run its template flag, team, severity and fingerprint.

    A group (same check, same target or quoted text) is a template defect when it sits in
    header/nav/footer, or shows on at least ``report.template_share`` of the crawled pages
    (and ``report.template_min_pages``): reports show it once, with its page count, for IT.
    """
    total = db.execute("select count(*) from pages where run_id = ?", [run_id]).fetchone()[0]
    share = config["report.template_share"]
    min_pages = config["report.template_min_pages"]
    templates = set()
    for code, grp, pages, in_template_region in db.execute(
        f"""select code, grp, count(distinct page),
                   max(region in ({','.join('?' * len(TEMPLATE_REGIONS))}))
            from findings where run_id = ? group by code, grp""",
        [*TEMPLATE_REGIONS, run_id],
    ):
        if in_template_region or (pages >= min_pages and pages >= share * total):
            templates.add((code, grp))

    unassigned = " and team = ''" if only_unassigned else ""
    # In batches of rowids, each written before the next is read: the whole run's updates at
    # once were ~25 MB at 100,000 pages, and a table is not updated under an open read of it.
    last = 0
    while True:
        rows = list(db.query("select id, code, page, grp, region, status_class, own_host from findings "
                             f"where run_id = :run and id > :last{unassigned} order by id limit 5000",
                             {"run": run_id, "last": last}))
        if not rows:
            break
        last = rows[-1]["id"]
        _update_many(db, (_assignment(row, config, templates, site_hosts) for row in rows))


def _assignment(row: dict[str, Any], config: Config, templates: set[tuple[str, str]],
                site_hosts: frozenset[str]) -> tuple[object, ...]:
    """(team, severity, template, fingerprint, id) of one finding."""
    check = REGISTRY[row["code"]]
    settings = config.check_settings(check.code)
    template = (row["code"], row["grp"]) in templates
    team = route(code=check.code, page=row["page"], status_class=row["status_class"],
                 own_host=bool(row["own_host"]), template=template,
                 default_team=settings.get("team", check.default_team(config["report.teams"])),
                 rules=config.routing)
    severity = settings.get("severity", check.severity)
    return (team, severity, int(template), fingerprint(check.code, row["page"], row["grp"], site_hosts), row["id"])


def settle_unfinished_findings(db: sqlite_utils.Database, run: dict[str, Any]) -> None:
    """Give team, severity and fingerprint to findings of a run that never finished (kill -9).

    The crawl wrote them raw; ``finish_run`` never ran. The run's stored settings stand in for
    its config (per-check and routing overrides of the config file are applied if the file
    is still there).
    """
    if not db.execute("select 1 from findings where run_id = ? and team = '' limit 1", [run["id"]]).fetchone():
        return
    settings = run["settings"] if isinstance(run["settings"], dict) else json.loads(run["settings"] or "{}")
    source = settings.get("config_file")
    try:
        config = load_config(source if source and Path(source).exists() else None)
    except ConfigError:
        config = load_config(None)
    hosts = frozenset({run["site"], *settings.get("crawl.same_site_hosts", [])})
    assign_findings(db, run["id"], config, site_hosts=hosts, only_unassigned=True)


def _update_many(db: sqlite_utils.Database, rows: Iterable[tuple[object, ...]]) -> None:
    with db.conn:
        db.conn.executemany(
            "update findings set team = ?, severity = ?, template = ?, fingerprint = ? where id = ?",
            list(rows),
        )


def run_summary(db: sqlite_utils.Database, run_id: int) -> dict[str, object]:
    run = dict(db["runs"].get(run_id))
    run["limits_hit"] = json.loads(run.get("limits_hit") or "{}")
    return run
