"""Plain HEAD checks beside Scrapy (crawler/head_checks.py) change the cost of an audit, never its result."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from scrapy import Request
from scrapy.utils.test import get_crawler

from config import load_config
from conftest import run_cli
from crawler.head_checks import Answer, HeadChecks
from crawler.runner import scrapy_settings
from crawler.spiders.audit import AuditSpider
from route_site import RouteSite

IMAGES = [f"/img/p{n}.jpg" for n in range(30)]


def _store_routes(partner: str) -> dict:
    """A store whose page references every kind of answer a check can get."""
    refs = "".join(f"<img src='{path}' alt='product {path}'>" for path in IMAGES)
    refs += ("<img src='/img/missing.jpg' alt='gone'>"
             "<img src='/img/moved.jpg' alt='moved'>"
             "<img src='/img/busy.jpg' alt='busy'>"
             "<img src='/private/secret.jpg' alt='private'>"
             "<a href='/files/no-head.pdf'>size guide</a>"
             f"<a href='{partner}/ok'>partner</a><a href='{partner}/gone'>partner gone</a>")
    image = ("image/jpeg", b"\xff\xd8jpeg")
    return {
        "/": ("text/html", f"<html lang='en'><head><title>Shop</title></head><body><main><h1>Shop</h1>{refs}"
                           f"<a href='/about'>About us</a></main></body></html>".encode()),
        "/about": ("text/html", b"<html lang='en'><head><title>About</title></head><body><main><h1>About</h1>"
                                b"<img src='/img/p1.jpg' alt='again'><img src='/img/about.jpg' alt='team'></main></body></html>"),
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /private/\n"),
        **{path: image for path in [*IMAGES, "/img/about.jpg", "/img/new.jpg"]},
        "/img/moved.jpg": lambda method, n: (301, {"Location": "/img/new.jpg"}, b""),
        # overloaded the first time it is asked, fine after (Scrapy's retry)
        "/img/busy.jpg": lambda method, n: (503, {}, b"busy") if n == 1 else (200, {"Content-Type": "image/jpeg"}, b"jpeg"),
        # refuses HEAD, serves GET (the spider's GET instead)
        "/files/no-head.pdf": lambda method, n: (405, {"Allow": "GET"}, b"") if method == "HEAD"
        else (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4"),
    }


def _audit(tmp_path, name: str, *, fast: bool, per_host: int = 4) -> tuple[list[tuple], list[tuple], RouteSite]:
    partner = RouteSite({"/ok": ("text/html", b"<html><body>partner</body></html>")})
    with partner:
        store = RouteSite(_store_routes(partner.url), delay=0.02)
        with store:
            cfg = tmp_path / f"{name}.toml"
            cfg.write_text(f"[crawl]\nuse_sitemaps = false\nfast_checks = {str(fast).lower()}\n"
                           f"per_host_concurrency = {per_host}\n")
            db = tmp_path / f"{name}.db"
            result = run_cli("audit", store.url + "/", "--config", str(cfg), "--db", str(db), "--format", "json",
                             "-o", str(tmp_path / f"{name}.json"), timeout=120)
    assert result.code == 1, result.stderr  # the store has broken images
    port_free = (store.url, "STORE"), (partner.url, "PARTNER")

    def plain(value: object) -> object:
        for url, name in port_free:
            value = value.replace(url, name) if isinstance(value, str) else value
        return value

    with sqlite3.connect(db) as conn:
        fetches = sorted(tuple(plain(v) for v in row) for row in conn.execute(
            "select url, method, status, error, skipped, final_url, chain, size, content_type from fetches"))
        findings = sorted(tuple(plain(v) for v in row) for row in conn.execute(
            "select code, page, target, message from findings"))
    return fetches, findings, store


def test_fast_checks_record_what_scrapy_alone_records(tmp_path):
    fast_fetches, fast_findings, fast_store = _audit(tmp_path, "fast", fast=True)
    slow_fetches, slow_findings, slow_store = _audit(tmp_path, "slow", fast=False)
    assert fast_fetches == slow_fetches
    assert fast_findings == slow_findings
    assert {"IMG001", "LINK002"} <= {row[0] for row in fast_findings}  # the missing image, the partner's 404
    # The same requests either way: once per URL (HEAD, then GET where HEAD is refused), and
    # the overloaded image once more (a retry by Scrapy, or Scrapy taking it over).
    assert fast_store.asked == slow_store.asked
    assert fast_store.asked["/img/busy.jpg"] == 2 and fast_store.asked["/files/no-head.pdf"] == 2
    # robots.txt held for both: the private image was never asked for
    assert not [p for _, p in fast_store.requests if p.startswith("/private/")]


def test_the_store_never_gets_more_requests_at_once_than_the_config_allows(tmp_path):
    _, _, store = _audit(tmp_path, "peak", fast=True, per_host=4)
    assert 1 < store.peak <= 4


@pytest.mark.parametrize(("delay", "autothrottle", "local", "per_host", "expected"), [
    (0.0, "auto", True, 4, (2, 2)),     # unthrottled: half of the per-host concurrency each
    (0.0, "auto", True, 3, (3, 0)),     # half of 3 would leave pages one request at a time
    (0.5, "auto", True, 4, (4, 0)),     # a delay between requests: Scrapy keeps every request
    (0.0, "auto", False, 4, (4, 0)),    # a remote store under AutoThrottle
    (0.0, "on", True, 4, (4, 0)),
])
def test_lean_checks_only_for_an_unthrottled_crawl(tmp_path, delay, autothrottle, local, per_host, expected):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[crawl]\ndelay = {delay}\nautothrottle = '{autothrottle}'\nper_host_concurrency = {per_host}\n")
    settings = scrapy_settings(load_config(cfg), db_path="x.db", local=local)
    assert (settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), settings.getint("STOREAUDIT_HEAD_CHECKS")) == expected


@pytest.mark.parametrize("pipeline", [True, False])
def test_pipelined_checks_follow_the_config(tmp_path, pipeline):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[crawl]\npipeline_checks = {str(pipeline).lower()}\n")
    settings = scrapy_settings(load_config(cfg), db_path="x.db", local=True)
    crawler = get_crawler(AuditSpider, {"ROBOTSTXT_OBEY": False, **{
        key: settings[key] for key in ("STOREAUDIT_HEAD_CHECKS", "STOREAUDIT_HEAD_CHECKS_TOTAL", "STOREAUDIT_HEAD_PIPELINE")}})
    spider = AuditSpider.from_crawler(crawler, url="http://127.0.0.1:9/")
    assert spider.head_checks._client.pipeline is pipeline


def test_the_spider_checks_non_page_urls_beside_scrapy_and_crawls_pages_with_it():
    async def scenario() -> tuple[object, object, object]:
        crawler = get_crawler(AuditSpider, {"STOREAUDIT_HEAD_CHECKS": 2, "STOREAUDIT_HEAD_CHECKS_TOTAL": 4,
                                            "ROBOTSTXT_OBEY": False})
        spider = AuditSpider.from_crawler(crawler, url="http://127.0.0.1:9/")
        image = spider._schedule("http://127.0.0.1:9/img/a.jpg", "img", 1, referer="http://127.0.0.1:9/")
        page = spider._schedule("http://127.0.0.1:9/about", "a", 1)
        pending = spider.head_checks.pending
        await spider.head_checks.close()
        return image, page, pending

    image, page, pending = asyncio.run(scenario())
    assert image is None and pending == 1  # taken by the lean client
    assert isinstance(page, Request) and page.method == "GET"


def test_distributed_workers_keep_every_request_in_scrapy(tmp_path):
    settings = scrapy_settings(load_config(None), db_path="x.db", local=True, helpers=False)
    assert settings.getint("STOREAUDIT_HEAD_CHECKS") == 0
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 4


class _Recorder:
    """Runs HeadChecks against a site and records what it answered and handed back."""

    def __init__(self, verdict: bool | None = True):
        self.answered: dict[str, Answer] = {}
        self.handed_back: list[tuple[str, bool]] = []
        self.verdict = verdict

    async def run(self, urls: list[str], then: str = "") -> tuple[list[bool], HeadChecks]:
        """Take ``urls``, wait for all to be answered or handed back, then take ``then`` (if any)."""
        done = asyncio.Event()

        async def answered(url: str, depth: int, answer: Answer) -> None:
            self.answered[url] = answer

        checks = HeadChecks(per_host=2, total=4, timeout=5, headers={"User-Agent": "test"},
                            retry_codes=frozenset({429, 502, 503, 504, 408}), max_retry_after=5,
                            allows=lambda url: self.verdict, extra_headers=lambda url: {}, answered=answered,
                            hand_back=lambda url, depth, referer, retried: self.handed_back.append((url, retried)),
                            drained=done.set)
        taken = [checks.take(url, 1) for url in urls]
        if any(taken):
            await asyncio.wait_for(done.wait(), 10)
        if then:
            taken.append(checks.take(then, 1))
        await checks.close()
        return taken, checks


def test_answers_go_to_the_spider_and_overloads_back_to_scrapy():
    with RouteSite(_store_routes("http://127.0.0.1:9")) as site:
        urls = [site.url + p for p in ("/img/p1.jpg", "/img/missing.jpg", "/img/moved.jpg", "/img/busy.jpg",
                                         "/files/no-head.pdf")]
        recorder = _Recorder()
        taken, _ = asyncio.run(recorder.run(urls))
    assert taken == [True] * 5
    answers = {u.removeprefix(site.url): a for u, a in recorder.answered.items()}
    assert {path: a.status for path, a in answers.items()} == {
        "/img/p1.jpg": 200, "/img/missing.jpg": 404, "/img/moved.jpg": 301, "/files/no-head.pdf": 405}
    assert answers["/img/p1.jpg"].headers["Content-Type"] == "image/jpeg"
    assert answers["/img/moved.jpg"].headers["Location"] == "/img/new.jpg"
    # An overload goes back to Scrapy, whose request is the retry
    assert [(u.removeprefix(site.url), retried) for u, retried in recorder.handed_back] == [("/img/busy.jpg", True)]


def test_urls_robots_txt_has_not_allowed_yet_are_not_taken():
    for verdict in (None, False):
        taken, checks = asyncio.run(_Recorder(verdict).run(["http://127.0.0.1:9/a.jpg"]))
        assert taken == [False] and checks.pending == 0


def test_a_host_that_keeps_failing_is_left_to_scrapy():
    with RouteSite({}) as site:
        dead = site.url  # the port closes when the site stops
    recorder = _Recorder()
    taken, _ = asyncio.run(recorder.run([f"{dead}/{n}.jpg" for n in range(3)], then=f"{dead}/4.jpg"))
    assert taken == [True, True, True, False]
    assert [retried for _, retried in recorder.handed_back] == [True] * 3  # Scrapy's request is the retry


def test_a_page_waits_while_the_backlog_of_urls_to_check_is_full(monkeypatch):
    """Pages can be read faster than their URLs are checked: the next page waits for room, so
    the URLs wait on Scrapy's queue on disk instead of here in memory."""
    monkeypatch.setattr("crawler.head_checks.MAX_BACKLOG", 10)
    images = {f"/img/{n}.jpg": ("image/jpeg", b"jpeg") for n in range(40)}

    async def scenario(site: RouteSite) -> tuple[bool, int, int]:
        done = asyncio.Event()
        answered: list[str] = []

        async def on_answer(url: str, depth: int, answer: Answer) -> None:
            answered.append(url)

        checks = HeadChecks(per_host=2, total=2, timeout=5, headers={}, retry_codes=frozenset(), max_retry_after=5,
                            allows=lambda url: True, extra_headers=lambda url: {}, answered=on_answer,
                            hand_back=lambda *args: None, drained=done.set)
        await checks.room()  # room at first: nothing queued
        for path in images:  # one page's worth of URLs, more than the backlog allows
            checks.take(site.url + path, 1)
        waiting = asyncio.create_task(checks.room())
        for _ in range(5):  # the loop turns; the store answers each check after 10 ms, two at a time
            await asyncio.sleep(0)
        waited = not waiting.done() and checks.backlog >= 10
        await asyncio.wait_for(waiting, 10)  # the next page goes on once checks drain the queue
        backlog_then = checks.backlog
        await asyncio.wait_for(done.wait(), 10)
        await checks.close()
        return waited, backlog_then, len(answered)

    with RouteSite(images, delay=0.01) as site:
        waited, backlog_then, answered = asyncio.run(scenario(site))
    assert waited
    assert backlog_then < 10
    assert answered == 40  # every URL checked in the end


def test_a_slow_third_party_host_overflows_to_scrapy_and_the_store_never_does(monkeypatch):
    """A third party linked from every page, slower than the store, must not make the crawl
    wait for it: past its own small backlog its URLs go to Scrapy's queue (take is False)."""
    monkeypatch.setattr("crawler.head_checks.MAX_HOST_BACKLOG", 3)

    async def scenario(store: RouteSite, other: RouteSite) -> tuple[list[bool], list[bool]]:
        checks = HeadChecks(per_host=1, total=4, timeout=5, headers={}, retry_codes=frozenset(), max_retry_after=5,
                            allows=lambda url: True, extra_headers=lambda url: {}, answered=_ignore_answer,
                            hand_back=lambda *args: None, drained=lambda: None,
                            site_hosts=frozenset({store.url.removeprefix("http://")}))
        others = [checks.take(f"{other.url}/share/{n}", 1) for n in range(6)]
        ours = [checks.take(f"{store.url}/img/{n}.jpg", 1) for n in range(6)]
        await checks.close()
        return others, ours

    routes = {**{f"/share/{n}": ("text/html", b"") for n in range(6)},
              **{f"/img/{n}.jpg": ("image/jpeg", b"jpeg") for n in range(6)}}
    with RouteSite(routes, delay=0.5) as store, RouteSite(routes, delay=0.5) as other:
        others, ours = asyncio.run(scenario(store, other))
    assert others == [True, True, True, True, False, False]  # one in flight, three queued, then Scrapy's
    assert ours == [True] * 6  # the store's own URLs wait here (the crawl waits for room instead)


async def _ignore_answer(url: str, depth: int, answer: Answer) -> None:
    pass


@pytest.mark.parametrize("fast", [True, False], ids=["beside-scrapy", "scrapy"])
def test_a_header_that_is_not_ascii_is_stored_as_the_server_sent_it(tmp_path, fast):
    """Header bytes are latin-1 text to HTTP, and a check stores them so whoever sends it:
    the lean client, or Scrapy (whose aiohttp handler failed the fetch on such a header:
    crawler/download_handler.py)."""
    page = b"<html lang='en'><head><title>Shop</title></head><body><main><h1>Shop</h1>" \
           b"<img src='/img/odd.jpg' alt='odd'></main></body></html>"
    store = RouteSite({"/": ("text/html", page),
                       "/img/odd.jpg": lambda method, n: (200, {"Content-Type": 'image/jpeg; name="caf\xe9.jpg"'}, b"")})
    with store:
        cfg = tmp_path / "c.toml"
        cfg.write_text(f"[crawl]\nuse_sitemaps = false\nper_host_concurrency = 4\nfast_checks = {str(fast).lower()}\n")
        run_cli("audit", store.url + "/", "--config", str(cfg), "--db", str(tmp_path / "a.db"), "--format", "json",
                "-o", str(tmp_path / "a.json"), timeout=120)
    with sqlite3.connect(tmp_path / "a.db") as conn:
        row = conn.execute("select method, status, content_type from fetches where url like '%/img/odd.jpg'").fetchone()
    assert row == ("HEAD", 200, 'image/jpeg; name="caf\xe9.jpg"')


def test_a_check_that_fails_does_not_strand_the_urls_queued_behind_it(caplog):
    """One task checks a host's queued URLs one after another: an error recording one answer
    is logged, and the URLs behind it are still checked (else the crawl would wait forever)."""
    images = {f"/img/{n}.jpg": ("image/jpeg", b"jpeg") for n in range(6)}

    async def scenario(site: RouteSite) -> list[str]:
        done = asyncio.Event()
        answered: list[str] = []

        async def on_answer(url: str, depth: int, answer: Answer) -> None:
            if url.endswith("/1.jpg"):
                raise RuntimeError("the database is gone")
            answered.append(url.removeprefix(site.url))

        checks = HeadChecks(per_host=1, total=1, timeout=5, headers={}, retry_codes=frozenset(), max_retry_after=5,
                            allows=lambda url: True, extra_headers=lambda url: {}, answered=on_answer,
                            hand_back=lambda *args: None, drained=done.set)
        for path in images:
            checks.take(site.url + path, 1)
        await asyncio.wait_for(done.wait(), 10)
        assert checks.pending == 0
        await checks.close()
        return answered

    with RouteSite(images) as site:
        answered = asyncio.run(scenario(site))
    assert answered == [f"/img/{n}.jpg" for n in (0, 2, 3, 4, 5)]
    assert "the database is gone" in caplog.text
