"""A crawler worker of a distributed audit: scrapy-redis' scheduler, made loss-free.

Several worker processes (``storeaudit worker --redis URL``) crawl one audit together. What
they share lives in Redis: the frontier (scrapy-redis' priority queue), the seen set
(scrapy-redis' ``RFPDupeFilter`` key, one ``SADD`` per new URL), the requests each worker is
working on (``inflight``), every worker's heartbeat, and the items (a list the coordinating
``storeaudit audit --workers N`` process drains into the one SQLite database: workers never
write it). See docs/distributed.md.

Two things scrapy-redis does not give, added here:

- **Nothing is lost when a worker dies.** A request is popped into ``inflight`` (one Lua
  script) and leaves it only in the same Lua script that pushes everything its callback
  produced: the item rows and the new requests (those not yet in the seen set). A killed
  worker's ``inflight`` requests are put back by the coordinator once its heartbeat stops.
- **The audit ends when the frontier is empty and nothing is in flight anywhere**, checked
  atomically in Redis; an idle worker waits for more work until then.

The spider (:class:`DistributedAuditSpider`) is the audit spider; it only routes its callbacks'
output through :meth:`RedisScheduler.commit` instead of Scrapy's engine, so page checks run in
the worker (the rows pushed are the rows the single-process pipeline would write).
"""

from __future__ import annotations

import json
import os
import pickle
import socket
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import Request
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from checks.runner import PageCheckRunner
from crawler.items import FetchItem, PageItem, SitemapEntryItem
from crawler.pipelines import StorePipeline
from crawler.spiders.audit import AuditSpider

__all__ = ["KEYS", "DistributedAuditSpider", "RedisScheduler", "RowPipeline", "worker_settings"]

PREFIX = "storeaudit:"
#: Every Redis key of the (one) audit a Redis database holds.
KEYS = {name: PREFIX + name for name in (
    "meta", "requests", "seen", "inflight", "items", "workers", "limits", "seeding", "seeded", "done")}
#: Seconds between two heartbeats of a worker (and polls of Redis while it is idle).
BEAT = 0.5

# Pop the best request and record it as in flight for this worker, in one step; the field
# is worker|number|score (the score to put it back with).
_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return nil end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
local field = ARGV[1] .. '|' .. ARGV[2] .. '|' .. r[2]
redis.call('HSET', KEYS[2], field, r[1])
return {field, r[1]}
"""
# Everything one response produced, and the end of its request, in one step:
# ARGV = inflight field, n items, items..., then (fingerprint or '', score, request) triples.
_COMMIT = """
local n = tonumber(ARGV[2])
for i = 3, n + 2 do redis.call('RPUSH', KEYS[4], ARGV[i]) end
local i = n + 3
while i <= #ARGV do
  if ARGV[i] == '' or redis.call('SADD', KEYS[2], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i + 2])
  end
  i = i + 3
end
if ARGV[1] ~= '' then redis.call('HDEL', KEYS[3], ARGV[1]) end
return 1
"""


def worker_settings(redis_url: str) -> dict[str, Any]:
    """Scrapy settings that make an audit crawl a worker of the audit in Redis."""
    return {
        "SCHEDULER": "crawler.distributed.RedisScheduler",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": KEYS["requests"],
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_DUPEFILTER_KEY": KEYS["seen"],
        "SCHEDULER_PERSIST": True,  # an interrupted audit resumes from Redis
        "REDIS_URL": redis_url,
        "ITEM_PIPELINES": {},  # items go to Redis with their request's commit (RowPipeline)
        "STOREAUDIT_PROGRESS": False,
    }


def requeue(server: Any, workers: Iterable[str]) -> int:
    """Put the in-flight requests of ``workers`` (dead, or leaving) back in the frontier."""
    prefixes = tuple(f"{w}|" for w in workers)
    if not prefixes:
        return 0
    moved = 0
    for field, data in server.hgetall(KEYS["inflight"]).items():
        name = field.decode() if isinstance(field, bytes) else field
        if name.startswith(prefixes):
            pipe = server.pipeline(transaction=True)
            pipe.zadd(KEYS["requests"], {data: float(name.rsplit("|", 1)[1])}).hdel(KEYS["inflight"], field)
            pipe.execute()
            moved += 1
    return moved


def audit_finished(server: Any) -> bool:
    """True once the seeds are in and neither the frontier nor any worker holds a request."""
    if server.exists(KEYS["done"]):
        return True
    pipe = server.pipeline(transaction=True)  # one snapshot: a pop moves a request atomically
    seeded, queued, inflight = pipe.get(KEYS["seeded"]).zcard(KEYS["requests"]).hlen(KEYS["inflight"]).execute()
    if seeded and not queued and not inflight:
        server.set(KEYS["done"], "1")
        return True
    return False


class _Rows:
    """Stands in for the pipeline's BatchWriter: collects the rows of one item for Redis."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {}

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.tables.setdefault(table, []).append(row)

    def extend(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        self.tables.setdefault(table, []).extend(rows)

    def add_values(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self.extend(table, (dict(zip(columns, row)) for row in rows))  # Redis carries them as JSON objects

    @contextmanager
    def together(self) -> Iterator[None]:
        yield

    def flush(self) -> None:
        pass

    def take(self) -> dict[str, list[dict[str, Any]]]:
        tables, self.tables = self.tables, {}
        return tables


class RowPipeline(StorePipeline):
    """The store pipeline with Redis in place of the database: the same rows, page checks run
    here in the worker, and nothing is written (the coordinator is the only writer)."""

    def open_spider(self) -> None:
        spider: Any = self.crawler.spider
        self.run_id = spider.run_id
        self.writer = _Rows()  # type: ignore[assignment]
        self.page_checks = PageCheckRunner(spider.config, site_hosts=spider.site_hosts, as_of=spider.as_of)

    def element(self, item: Any) -> str:
        """One item as one JSON element of the items list (the drainer's unit of de-duplication)."""
        self.process_item(item)
        if isinstance(item, PageItem):
            key = item.fetch.url
        elif isinstance(item, FetchItem):
            key = item.url
        elif isinstance(item, SitemapEntryItem):
            key = "sitemap " + item.url
        else:
            raise TypeError(f"unexpected item {type(item).__name__}")
        return json.dumps({"key": key, "rows": self.writer.take()}, default=str)  # type: ignore[attr-defined]

    def close_spider(self) -> None:
        self._pass_counts()

    def spider_closed(self, spider: Any, reason: str) -> None:
        pass  # the coordinator finishes the run


class RedisScheduler(Scheduler):
    """scrapy-redis' scheduler with in-flight bookkeeping, heartbeats and the end of the audit."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        instance.worker = crawler.settings.get("STOREAUDIT_WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}"
        # An idle engine asks the scheduler again every 5 s; a worker waiting for its peers'
        # new requests should look every BEAT seconds.
        crawler.engine._SLOT_HEARTBEAT_INTERVAL = BEAT  # type: ignore[union-attr]
        crawler.signals.connect(instance._idle, signal=signals.spider_idle)
        return instance

    def open(self, spider: Any) -> None:
        super().open(spider)
        spider.redis_scheduler = self
        self._pop = self.server.register_script(_POP)
        self._commit = self.server.register_script(_COMMIT)
        self._popped = 0
        self._limits = ""
        self._beat()
        self._heart = LoopingCall(self._tick)
        self._heart.start(BEAT, now=False)

    def close(self, reason: str) -> None:
        if self._heart.running:
            self._heart.stop()
        requeue(self.server, [self.worker])  # leaving: what was cancelled goes back
        self.server.hdel(KEYS["workers"], self.worker)
        if reason not in ("finished", "shutdown"):  # e.g. the wall guard: the whole audit stops
            self.server.hsetnx(KEYS["meta"], "stop_reason", reason)

    # -- requests ------------------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        """Seeds, retries and the like (callback output goes through :meth:`commit`)."""
        return bool(self._push([request]))

    def next_request(self) -> Request | None:
        self._popped += 1
        popped = self._pop(keys=[KEYS["requests"], KEYS["inflight"]], args=[self.worker, self._popped])
        if not popped:
            return None
        field, data = popped
        request = self.queue._decode_request(data)
        request.meta["storeaudit_inflight"] = field.decode() if isinstance(field, bytes) else field
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis", spider=self.spider)
        return request

    def commit(self, request: Request | None, items: list[str], requests: list[Request]) -> None:
        """Push a response's items and new requests and end its request, atomically."""
        field = request.meta.get("storeaudit_inflight", "") if request is not None else ""
        self._push(requests, items=items, field=field)

    def _push(self, requests: list[Request], *, items: Sequence[str] = (), field: str = "") -> int:
        args: list[Any] = [field, len(items), *items]
        for r in requests:
            r.meta.pop("storeaudit_inflight", None)
            fp = "" if r.dont_filter else self.df.request_fingerprint(r)
            args += [fp, -r.priority, self.queue._encode_request(r)]
        return self._commit(keys=[KEYS["requests"], KEYS["seen"], KEYS["inflight"], KEYS["items"]], args=args)

    # -- liveness and the end ------------------------------------------------------------

    def _beat(self) -> None:
        self.server.hset(KEYS["workers"], self.worker, json.dumps({"beat": time.time(), "pid": os.getpid()}))

    def _tick(self) -> None:
        self._beat()
        limits = json.dumps(self.spider.limits_hit, sort_keys=True)
        if limits != self._limits:  # the coordinator adds up every worker's trap limits
            self._limits = limits
            self.server.hset(KEYS["limits"], self.worker, limits)
        reason = self.server.hget(KEYS["meta"], "stop_reason")
        if reason:
            engine = self.crawler.engine
            if engine is not None and engine.spider is not None and not getattr(self, "_closing", False):
                self._closing = True
                deferred_from_coro(engine.close_spider_async(reason=reason.decode()))

    def _idle(self, spider: Any) -> None:
        """Nothing downloads or runs here: end this worker's stale in-flight entries (requests
        Scrapy dropped without a callback), then close only when the whole audit is done."""
        dropped = [f for f in self.server.hkeys(KEYS["inflight"])
                           if (f.decode() if isinstance(f, bytes) else f).startswith(self.worker + "|")]
        if dropped:
            self.server.hdel(KEYS["inflight"], *dropped)
        if audit_finished(self.server):
            raise CloseSpider("finished")
        raise DontCloseSpider


class DistributedAuditSpider(AuditSpider):
    """The audit spider as a worker: seeds once per audit, lets Redis de-duplicate new URLs,
    and commits each callback's output to Redis in one step."""

    name = "audit"
    redis_scheduler: RedisScheduler

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.rows: RowPipeline | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> DistributedAuditSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        return spider

    def _opened(self, spider: Any) -> None:
        self.rows = RowPipeline(self.crawler)
        self.rows.open_spider()

    async def start(self) -> AsyncIterator[Any]:
        server = self.redis_scheduler.server
        if server.set(KEYS["seeding"], self.redis_scheduler.worker, nx=True):
            async for request in super().start():
                yield request
            server.set(KEYS["seeded"], "1")

    def _request(self, url: str, *, depth: int, follow: bool, via: str = "",
                 info: dict[str, Any] | None = None, method: str | None = None) -> Request:
        request = super()._request(url, depth=depth, follow=follow, via=via, info=info, method=method)
        if info is None and method is None:
            # A URL's first request: Redis' seen set decides whether another worker has it.
            # Redirect hops and HEAD-to-GET retries continue a request and always go out.
            request = request.replace(dont_filter=False)
        return request

    def _commit(self, output: Iterable[Any] | None, request: Request | None) -> list[Any]:
        items: list[str] = []
        requests: list[Request] = []
        assert self.rows is not None
        try:
            for out in output or ():
                if isinstance(out, Request):
                    requests.append(out)
                else:
                    items.append(self.rows.element(out))
        finally:
            self.redis_scheduler.commit(request, items, requests)
        return []


def _committing(callback: Any) -> Any:
    """``callback`` (a callback or errback of the audit spider) committing its output to Redis."""
    def commit(self: DistributedAuditSpider, result: Any) -> list[Any]:
        # A response and a download failure both carry the request they answer.
        return self._commit(callback(self, result), result.request)
    commit.__name__ = commit.__qualname__ = callback.__name__
    commit.__doc__ = callback.__doc__
    return commit


# Every callback and errback commits its output (items and new requests) with its request.
for _name in ("parse_page", "parse_check", "on_error", "parse_robots", "parse_sitemap", "sitemap_missing",
              "sitemap_failed"):
    setattr(DistributedAuditSpider, _name, _committing(getattr(AuditSpider, _name)))


def load_meta(server: Any) -> dict[str, Any] | None:
    """The audit Redis holds: run id, start URL, as-of date and the pickled config."""
    raw = server.hgetall(KEYS["meta"])
    if not raw or b"config" not in raw:
        return None
    return {"run_id": int(raw[b"run_id"]), "url": raw[b"url"].decode(), "as_of": raw[b"as_of"].decode(),
            "config": pickle.loads(raw[b"config"])}
