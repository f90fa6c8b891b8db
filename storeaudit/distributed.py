"""The coordinator of a distributed audit (``storeaudit audit URL --workers N``).

It creates the run in the SQLite database, puts the audit (run id, start URL, as-of date,
config) in Redis, starts N worker processes on this machine (``storeaudit worker --redis
URL``; more can join from other machines), and is the database's only writer: it drains the
items the workers push to Redis into the run, puts a dead worker's in-flight requests back in
the frontier, and when the audit is done runs ``finish_run`` (flows, site checks, routing)
exactly as a single-process audit does. Redis is imported only here and in
``crawler/distributed.py``: the default single-process audit never needs it.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlite_utils

from config import Config
from crawler.urls import normalize
from storeaudit.audit import AuditError, _interrupted_run, finish_run, new_run, validate_start_url
from storeaudit.store import crawl_writer, open_db, reopen_run

__all__ = ["DEFAULT_REDIS", "connect", "run_distributed", "run_worker"]

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
#: Items drained per transaction of the database.
DRAIN_BATCH = 500
ROOT = Path(__file__).resolve().parent.parent


def shown(redis_url: str) -> str:
    """``redis_url`` without its password, for messages (credentials are never printed)."""
    parts = urlsplit(redis_url)
    if "@" not in parts.netloc:
        return redis_url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def connect(redis_url: str) -> Any:
    """A Redis client for ``redis_url``; AuditError (one line, exit 2) when it is not there."""
    try:
        import redis
    except ImportError:
        raise AuditError("distributed audits need the 'redis' and 'scrapy-redis' packages: "
                         "pip install 'storeaudit[distributed]'") from None
    try:
        server = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
        server.ping()
    except (redis.RedisError, ValueError) as exc:
        raise AuditError(f"cannot reach Redis at {shown(redis_url)}: {exc}") from None
    return server


def run_distributed(url: str, *, config: Config, db_path: str | Path, workers: int, redis_url: str,
                    as_of: date | None = None, log_file: str | Path | None = None, resume: bool = False,
                    worker_timeout: float = 10.0, progress: bool = False) -> int:
    """Crawl ``url`` with ``workers`` local worker processes sharing Redis; returns the run id."""
    from crawler.distributed import KEYS
    from crawler.spiders.audit import AuditSpider

    url = validate_start_url(url)
    server = connect(redis_url)
    db = open_db(db_path)
    spider = AuditSpider(url=url, config=config)  # start URL and hosts exactly as the workers see them
    if resume:
        run_id, as_of = _resume(server, db, normalize(url), worker_timeout)
    else:
        server.delete(*KEYS.values())
        as_of = as_of or date.today()
        run_id = new_run(db, normalize(url), config, as_of=as_of)
        server.hset(KEYS["meta"], mapping={"run_id": run_id, "url": url, "as_of": as_of.isoformat(),
                                          "config": pickle.dumps(config)})
    procs = [_start_worker(redis_url, log_file, i) for i in range(workers)]
    drainer = Drainer(server, db, run_id)
    reason = "finished"
    try:
        with _terminate_on_sigterm():
            reason = drainer.run(procs, worker_timeout, progress=progress)
    except KeyboardInterrupt:
        reason = "shutdown"
    finally:
        for proc in procs:  # a worker stopped by SIGTERM puts its in-flight requests back
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            proc.wait()
    drainer.drain_all()
    drainer.writer.close()
    finish_run(db, run_id, config, reason=reason, start_url=spider.start_url, site_hosts=spider.site_hosts,
               limits_hit=drainer.limits_hit(), as_of=as_of)
    run = db["runs"].get(run_id)
    if run["status"] == "complete":
        server.delete(*KEYS.values())  # nothing to resume
    if run["status"] == "failed":
        raise AuditError(run["message"])
    return run_id


def _resume(server: Any, db: sqlite_utils.Database, start_url: str, worker_timeout: float) -> tuple[int, date]:
    from crawler.distributed import KEYS, load_meta

    meta = load_meta(server)
    if meta is None or normalize(meta["url"]) != start_url:
        raise AuditError(f"Redis holds no distributed audit of {start_url} to resume")
    run_id, as_of = _interrupted_run(db, start_url)
    if run_id != meta["run_id"]:
        raise AuditError(f"Redis holds run #{meta['run_id']}, but the latest interrupted run of "
                         f"{start_url} in this database is #{run_id}")
    reopen_run(db, run_id)
    server.delete(KEYS["done"])
    server.hdel(KEYS["meta"], "stop_reason")
    reclaim(server, worker_timeout)
    return run_id, as_of


def reclaim(server: Any, worker_timeout: float) -> list[str]:
    """Put back the in-flight requests of workers whose heartbeat stopped; returns them."""
    from crawler.distributed import KEYS, requeue

    now = time.time()
    dead = [w.decode() for w, beat in server.hgetall(KEYS["workers"]).items()
            if now - json.loads(beat)["beat"] > worker_timeout]
    known = {w.decode() for w in server.hkeys(KEYS["workers"])}
    # Requests held by workers with no heartbeat at all (gone before a resume) count as dead too.
    orphans = {f.decode().split("|", 1)[0] for f in server.hkeys(KEYS["inflight"])} - known
    dead += sorted(orphans)
    if dead:
        requeue(server, dead)
        server.hdel(KEYS["workers"], *dead)
    return dead


def _start_worker(redis_url: str, log_file: str | Path | None, index: int) -> subprocess.Popen[bytes]:
    # The URL goes by environment, not argv: a password in it would show in `ps`.
    env = {**os.environ, "STOREAUDIT_REDIS": redis_url,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    args = [sys.executable, "-m", "storeaudit.cli", "worker"]
    if log_file:
        args += ["--log-file", f"{log_file}.worker{index + 1}"]
    return subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


@contextmanager
def _terminate_on_sigterm() -> Iterator[None]:
    """SIGTERM ends a distributed audit like Ctrl-C: interrupted, resumable."""
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Drainer:
    """Moves the workers' items from Redis into the run: the database's single writer.

    Each element is the rows of one item (a page with its fetch, links and findings, or one
    fetch). An element whose URL is already stored is skipped: a request re-run after its
    worker died, or a page two workers reached by different redirects, is stored once.
    Elements leave Redis only after their transaction is committed.
    """

    def __init__(self, server: Any, db: sqlite_utils.Database, run_id: int):
        self.server, self.db, self.run_id = server, db, run_id
        self.writer = crawl_writer(db, max_age=1e9)
        self.stored = {url for (url,) in db.execute("select url from fetches where run_id = ?", [run_id])}
        self.stored |= {"sitemap " + url for (url,) in db.execute(
            "select url from sitemap_entries where run_id = ?", [run_id])}

    def drain(self) -> int:
        from crawler.distributed import KEYS

        batch = self.server.lrange(KEYS["items"], 0, DRAIN_BATCH - 1)
        for raw in batch:
            element = json.loads(raw)
            if element["key"] in self.stored:
                continue
            self.stored.add(element["key"])
            with self.writer.together():
                for table, rows in element["rows"].items():
                    self.writer.extend(table, rows)
        self.writer.flush()
        if batch:
            self.server.ltrim(KEYS["items"], len(batch), -1)
        return len(batch)

    def drain_all(self) -> None:
        while self.drain() == DRAIN_BATCH:
            pass

    def run(self, procs: list[subprocess.Popen[bytes]], worker_timeout: float, *, progress: bool) -> str:
        """Drain until the audit is done (or stopped); returns the crawl's end reason."""
        from crawler.distributed import KEYS, audit_finished

        shown = time.monotonic()
        while True:
            if self.drain() == DRAIN_BATCH:
                continue
            reclaim(self.server, worker_timeout)
            stop = self.server.hget(KEYS["meta"], "stop_reason")
            if stop:
                return stop.decode()
            if audit_finished(self.server):
                for proc in procs:  # they close within a heartbeat of seeing the audit done
                    proc.wait()
                return "finished"
            if procs and all(p.poll() is not None for p in procs) and not self.server.hlen(KEYS["workers"]):
                return "workers-gone"
            if progress and time.monotonic() - shown > 10:
                shown = time.monotonic()
                print(f"storeaudit: {len(self.stored)} URLs stored, {self.server.zcard(KEYS['requests'])} "
                      f"queued, {self.server.hlen(KEYS['workers'])} workers", file=sys.stderr)
            time.sleep(0.2)

    def limits_hit(self) -> dict[str, dict[str, int]]:
        """Every worker's trap limits, added up (each worker caps what it requests itself)."""
        from crawler.distributed import KEYS

        total: dict[str, dict[str, int]] = {}
        for raw in self.server.hvals(KEYS["limits"]):
            for limit, where in json.loads(raw).items():
                for place, n in where.items():
                    total.setdefault(limit, {})[place] = total.setdefault(limit, {}).get(place, 0) + n
        return total


def run_worker(redis_url: str, *, log_file: str | Path | None = None) -> int:
    """Crawl for the audit Redis holds until it is done; returns the number of the run."""
    from scrapy.crawler import AsyncCrawlerProcess

    from crawler.distributed import KEYS, DistributedAuditSpider, load_meta, worker_settings
    from crawler.runner import scrapy_settings
    from storeaudit.audit import is_local, log_to

    server = connect(redis_url)
    meta = load_meta(server)
    if meta is None:
        raise AuditError(f"no audit in Redis at {shown(redis_url)}: start one with `storeaudit audit URL "
                         f"--workers N --redis {shown(redis_url)}`")
    if server.exists(KEYS["done"]):
        return meta["run_id"]
    settings = scrapy_settings(meta["config"], db_path="", local=is_local(meta["url"]), helpers=False)
    settings.setdict(worker_settings(redis_url), priority="cmdline")
    log_to(settings, log_file)
    process = AsyncCrawlerProcess(settings)
    process.crawl(DistributedAuditSpider, url=meta["url"], config=meta["config"], run_id=meta["run_id"],
                  as_of=meta["as_of"])
    process.start()
    return meta["run_id"]
