"""The audit spider: fetch every URL the store references once, follow same-site pages.

It collects facts and never judges: every request ends as a :class:`FetchItem` (status, error,
redirect chain) and every parsed page as a :class:`PageItem` (with its references). Checks
decide later what is a defect. Redirects are followed here, not by Scrapy's middleware, so
the chain is recorded and a loop ends as data instead of being dropped.

Run it alone with ``scrapy crawl audit -a url=https://shop.example/ [-a config=FILE]``.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import date
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Request, Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.internet import error as neterror
from twisted.python.failure import Failure

from config import Config, glob_match, load_config
from crawler.extensions import CrawlStopped
from crawler.extract import ParsedPage
from crawler.frontier import Frontier
from crawler.queue import AuditRequest
from crawler.head_checks import HEAD_REFUSED, Answer, HeadChecks, head_checks_for
from crawler.items import FetchItem, PageItem, SitemapEntryItem
from crawler.page_work import PageWork
from crawler.resume import ResumeState
from crawler.runner import site_hosts
from crawler.seen import SeenUrls
from crawler.urls import host_key, normalize

__all__ = ["AuditSpider"]

#: References that are pages of the store and are parsed and followed when same-site.
FOLLOW_KINDS = frozenset({"a", "area", "iframe", "canonical"})
#: Trap limits past which a URL is not requested at all (a trap's URLs are endless).
HOLD_BACK = frozenset({"query_variants", "url_pattern"})


class AuditSpider(scrapy.Spider):
    name = "audit"

    def __init__(self, url: str = "", config: Config | str | None = None, run_id: int | None = None,
                 as_of: date | str | None = None, resume: ResumeState | None = None,
                 page_work: PageWork | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not url:
            raise ValueError("the audit spider needs a start URL: scrapy crawl audit -a url=https://…")
        self.config = config if isinstance(config, Config) else load_config(config)
        self.frontier = Frontier(
            ignore_params=self.config["crawl.ignore_params"],
            max_query_variants=self.config["crawl.max_query_variants"],
            max_pages_per_pattern=self.config["crawl.max_pages_per_pattern"],
            max_depth=self.config["crawl.max_depth"], max_pages=self.config["crawl.max_pages"])
        self.start_url = self.frontier.canonical(url)
        self.resume = resume
        self.run_id = run_id
        self.as_of = date.fromisoformat(as_of) if isinstance(as_of, str) else (as_of or date.today())
        self.site_hosts = site_hosts(url, self.config)
        self.max_redirects: int = self.config["crawl.max_redirects"]
        self.head_first: bool = self.config["crawl.head_first"]
        self.check_external: bool = self.config["crawl.check_external"]
        self.exclude: list[str] = self.config["crawl.exclude"]
        # Every URL scheduled, as 8-byte hashes off the Python heap (crawler/seen.py): flat memory.
        self.seen = SeenUrls()
        self.head_checks: HeadChecks | None = None
        #: the audit's one item pipeline, which the HEAD answers are handed straight to (False:
        #: there are others, and each answer goes through Scrapy's chain of them)
        self._write_item: Callable[[Any], Any] | Literal[False] | None = None
        # Pages are read in worker processes the audit started (storeaudit/audit.py), or that
        # from_crawler starts when the settings ask for them; else here.
        self.page_work = page_work or PageWork(self.config, site_hosts=self.site_hosts, as_of=self.as_of,
                                               processes=0)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> AuditSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.head_first:  # the lean client beside Scrapy sends HEAD only
            spider.head_checks = head_checks_for(crawler, spider.config, site_hosts=spider.site_hosts,
                                                 answered=spider._head_answered, hand_back=spider._head_handed_back)
        processes = crawler.settings.getint("STOREAUDIT_PAGE_PROCESSES")
        if processes > 0 and not spider.page_work.processes:  # `scrapy crawl audit`: start them now
            spider.page_work = PageWork(spider.config, site_hosts=spider.site_hosts, as_of=spider.as_of,
                                        processes=processes).start()
        crawler.signals.connect(spider.page_work.close, signal=signals.spider_closed)
        return spider

    @property
    def limits_hit(self) -> dict[str, dict[str, int]]:
        """limit -> where -> URLs held back: the report states which limits were hit and where."""
        return self.frontier.limits_hit

    # -- starting points ---------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if self.resume is not None:
            for item in self._resumed():
                yield item
        else:
            self.seen.add(self.start_url)
            yield self._request(self.start_url, depth=0, follow=True)
        if self.config["crawl.use_sitemaps"]:
            robots = urljoin(self.start_url, "/robots.txt")
            yield Request(robots, callback=self.parse_robots, errback=self.sitemap_missing,
                          meta={"dont_obey_robotstxt": True, "handle_httpstatus_all": True},
                          dont_filter=True, priority=-1)

    def _resumed(self) -> Iterator[Request | FetchItem]:
        """Continue an interrupted run: what its database holds is done, the rest is pending."""
        state = self.resume
        assert state is not None
        self.seen |= state.seen
        self.frontier.replay(parsed=state.parsed, requested=state.requested, limits_hit=state.limits_hit)
        if self.start_url not in state.requested:
            self.seen.add(self.start_url)
            yield self._request(self.start_url, depth=0, follow=True)
        for url, kind, depth in state.pending:
            if (scheduled := self._schedule(url, kind, depth)) is not None:
                yield scheduled

    def parse_robots(self, response: Response) -> Iterator[Any]:
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url)) if (
            response.status == 200 and b"<" not in response.body[:200]) else []
        if not sitemaps:
            sitemaps = [urljoin(self.start_url, "/sitemap.xml")]
        for url in sitemaps:
            yield self._sitemap_request(url)

    def sitemap_missing(self, failure: Failure) -> Iterator[Any]:
        yield self._sitemap_request(urljoin(self.start_url, "/sitemap.xml"))

    def _sitemap_request(self, url: str) -> Request:
        return Request(url, callback=self.parse_sitemap, errback=self.sitemap_failed,
                       meta={"handle_httpstatus_all": True, "dont_redirect": False}, dont_filter=True,
                       priority=-1)

    def sitemap_failed(self, failure: Failure) -> None:
        self.logger.info("no sitemap at %s: %s", failure.request.url, failure.value)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        if response.status != 200:
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            except OSError:
                return
        try:
            sitemap = Sitemap(body)
        except Exception:  # lxml raises several kinds on garbage; a broken sitemap is no seed
            self.logger.warning("unreadable sitemap %s", response.url)
            return
        for entry in sitemap:
            loc = entry.get("loc", "")
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                if host_key(loc) in self.site_hosts:
                    yield self._sitemap_request(loc)
                continue
            key = self.frontier.canonical(loc)
            if host_key(key) in self.site_hosts:  # every entry: orphans and broken sitemap URLs need them
                yield SitemapEntryItem(url=key, lastmod=(entry.get("lastmod") or "")[:40])
            if host_key(key) in self.site_hosts and self.seen.add_new(key):
                yield self._request(key, depth=0, follow=True, via="sitemap")

    # -- pages --------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterable[Any] | AsyncIterator[Any]:
        out, fetch, final = self._before_parse(response)
        if fetch is None:
            return out
        read = dict(status=response.status, depth=response.meta["sa"]["depth"],
                    encoding=getattr(response, "encoding", None), last_modified=fetch.last_modified)
        if self.page_work.elsewhere:  # in a worker process (crawler/page_work.py)
            return self._read_elsewhere(out, fetch, final, response.body, read)
        page = self.page_work.read_here_now(final, response.body, **read)
        return [*out, PageItem(fetch=fetch, page=page), *self._follow(page)]

    async def _read_elsewhere(self, out: list[Any], fetch: FetchItem, final: str, body: bytes,
                              read: dict[str, Any]) -> AsyncIterator[Any]:
        for item in out:
            yield item
        if self.head_checks is not None:  # its URLs to check would only queue in memory
            await self.head_checks.room()
        page, findings = await self.page_work.read_elsewhere(final, body, **read)
        yield PageItem(fetch=fetch, page=page, findings=findings)
        for request in self._follow(page):
            yield request

    def _before_parse(self, response: Response) -> tuple[list[Any], FetchItem | None, str]:
        """What a page's response yields before it is parsed, then the fetch and final URL of
        the page to parse, or None when it is not parsed (redirect, not HTML, seen, limit)."""
        info = response.meta["sa"]
        if 300 <= response.status < 400 and b"Location" in response.headers:
            return list(self._redirect(response, info)), None, ""
        fetch = self._fetch(response, info)
        if not self._parseable(response):
            return [fetch], None, ""
        final = self.frontier.canonical(response.url)
        out: list[Any] = []
        if info["chain"]:
            # Reached through redirects: parse the target once, under its own URL.
            out.append(fetch)
            if host_key(final) not in self.site_hosts or not self.seen.add_new(final):
                return out, None, ""
            fetch = FetchItem(url=final, status=response.status, content_type=fetch.content_type,
                              size=fetch.size, final_url=final, elapsed_ms=fetch.elapsed_ms,
                              last_modified=fetch.last_modified)
        if self.frontier.may_parse(final):
            return [*out, fetch], None, ""
        return out, fetch, final

    def _parseable(self, response: Response) -> bool:
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        return (200 <= response.status < 300 and "html" in ctype
                and host_key(response.url) in self.site_hosts)

    def _follow(self, page: ParsedPage) -> Iterator[Request | FetchItem]:
        depth = page.depth + 1
        fresh = self.seen.add_fresh(ref.url for ref in page.refs)
        for ref in page.refs:
            if ref.url not in fresh:
                continue
            fresh.discard(ref.url)  # the first reference to a URL decides its kind
            if (scheduled := self._schedule(ref.url, ref.kind, depth, referer=page.url)) is not None:
                yield scheduled

    def _schedule(self, url: str, kind: str, depth: int, referer: str = "") -> Request | FetchItem | None:
        """The request for ``url``, the item saying why it is not requested, or None when a
        plain HEAD check beside Scrapy took it."""
        same_site = host_key(url) in self.site_hosts
        if any(glob_match(p, url) for p in self.exclude):
            return FetchItem(url=url, skipped="excluded", same_site=same_site)
        if not same_site and not self.check_external:
            return FetchItem(url=url, skipped="external-not-checked", same_site=False)
        # Trap guards (crawler/frontier.py): URLs past a query or pattern cap are not requested
        # at all; pages past the depth or page limit are still checked, not parsed.
        held = self.frontier.admit(url) if same_site else ""
        follow = same_site and kind in FOLLOW_KINDS and not _names_a_file(url)
        if follow and not held:
            held = self.frontier.may_follow(url, depth)
            follow = not held
        if held in HOLD_BACK:
            return FetchItem(url=url, skipped=f"limit: {held}", same_site=True)
        if not follow and self.head_checks is not None and self.head_checks.take(url, depth, referer):
            return None
        return self._request(url, depth=depth, follow=follow)

    # -- checks of URLs that are not followed --------------------------------------------

    def parse_check(self, response: Response) -> Iterator[Any]:
        info = response.meta["sa"]
        if 300 <= response.status < 400 and b"Location" in response.headers:
            yield from self._redirect(response, info)
            return
        if response.request.method == "HEAD" and response.status in HEAD_REFUSED:
            yield self._get_instead(response.request)
            return
        yield self._fetch(response, info)

    async def _head_answered(self, url: str, depth: int, answer: Answer) -> None:
        """A HEAD answered beside Scrapy is recorded as ``parse_check`` records Scrapy's own
        responses. A plain answer (no redirect, HEAD not refused) is written straight away:
        building a Scrapy request and response for it cost ~40 µs, for ~36 answers a page."""
        status, headers = answer.status, answer.headers
        plain = (status not in HEAD_REFUSED and not (300 <= status < 400 and "Location" in headers)
                 and all(value.isascii() for value in headers.values()))  # others: read by _fetch as Scrapy reads them
        if plain:
            length = headers.get("Content-Length", "")
            item = self._fetched(url, "HEAD", status, headers.get("Content-Type", ""),
                                 int(length) if length.isdigit() else None, normalize(url), [], answer.latency,
                                 headers.get("Last-Modified", ""))
            write = self._write_item
            if write is None:
                write = self._write_item = _the_one_pipeline(self.crawler)
            if write:
                write(item)
            else:
                await self.crawler.engine.scraper.itemproc.process_item_async(item)  # type: ignore[union-attr]
            return
        request = self._request(url, depth=depth, follow=False)
        request.meta["download_latency"] = answer.latency
        # the bytes the server sent (the client read them as latin-1), as Scrapy's own response has them
        headers = {name: value.encode("latin-1") for name, value in answer.headers.items()}
        response = Response(url, status=answer.status, headers=headers, request=request)
        engine: Any = self.crawler.engine
        for result in self.parse_check(response):
            if isinstance(result, Request):
                engine.crawl(result)
            else:
                await engine.scraper.itemproc.process_item_async(result)

    def _head_handed_back(self, url: str, depth: int, referer: str, retried: bool) -> None:
        request = self._request(url, depth=depth, follow=False)
        if referer:
            request.headers["Referer"] = referer
        if retried:  # the check beside Scrapy was the first try: this request is the retry
            request.meta["retry_times"] = 1
        self.crawler.engine.crawl(request)  # type: ignore[union-attr]

    def _get_instead(self, request: Request) -> Request:
        info = request.meta["sa"]
        return self._request(request.url, depth=info["depth"], follow=False, info=info, method="GET")

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request: Request = failure.request  # type: ignore[attr-defined]
        info = request.meta["sa"]
        if failure.check(CrawlStopped):  # never sent; a resumed run sends it
            return
        if failure.check(IgnoreRequest):
            reason = str(failure.value)
            skipped = "robots" if "robots" in reason.lower() else "ignored"
            yield FetchItem(url=info["url"], skipped=skipped, same_site=host_key(info["url"]) in self.site_hosts,
                            chain=info["chain"], method=request.method)
            return
        kind = _error_kind(failure)
        if request.method == "HEAD" and kind in ("connection", "error"):
            yield self._get_instead(request)
            return
        yield FetchItem(url=info["url"], method=request.method, error=f"{kind}: {_short(failure.value)}",
                        chain=info["chain"], final_url=request.url,
                        same_site=host_key(info["url"]) in self.site_hosts)

    # -- shared --------------------------------------------------------------------------

    def _request(self, url: str, *, depth: int, follow: bool, via: str = "",
                 info: dict[str, Any] | None = None, method: str | None = None) -> Request:
        method = method or ("GET" if follow or not self.head_first else "HEAD")
        info = info or {"url": url, "depth": depth, "chain": [], "via": via}
        # Checks first: a page queues ~40 of them (images, links); draining them before the next
        # page is fetched keeps Scrapy's in-memory queue of requests short, whatever the store's size.
        return AuditRequest(url, method=method, callback=self.parse_page if follow else self.parse_check,
                       errback=self.on_error, dont_filter=True, priority=0 if follow else 1,
                       meta={"sa": info, "dont_redirect": True, "handle_httpstatus_all": True})

    def _redirect(self, response: Response, info: dict[str, Any]) -> Iterator[Any]:
        location = target = response.headers[b"Location"].decode("latin-1").strip()
        try:
            target = urljoin(response.url, location)
            web = urlsplit(target).scheme in ("http", "https")
            key: str | None = normalize(target) if web else ""
        except ValueError:  # no URL parser takes it: a port that is not a number, a broken IPv6 host
            web, key = False, None
        chain = [*info["chain"], [response.status, target]]
        base = dict(url=info["url"], method=response.request.method, status=response.status,
                    chain=chain, final_url=target, same_site=host_key(info["url"]) in self.site_hosts)
        visited = {normalize(info["url"])} | {normalize(u) for _, u in info["chain"]}
        if key is None:
            yield FetchItem(**base, error=f"bad-redirect: redirects to a malformed address {target[:100]}")
        elif not web:
            yield FetchItem(**base, error=f"bad-redirect: redirects to a non-web address {target[:100]}")
        elif key in visited:
            yield FetchItem(**base, error=f"redirect-loop: back to {target} after {len(chain)} hops")
        elif len(chain) > self.max_redirects:
            yield FetchItem(**base, error=f"too-many-redirects: more than {self.max_redirects} hops")
        else:
            method = "GET" if response.status == 303 else response.request.method
            yield self._request(target, depth=info["depth"], follow=response.request.callback != self.parse_check,
                                info={**info, "chain": chain}, method=method)

    def _fetch(self, response: Response, info: dict[str, Any]) -> FetchItem:
        headers = response.headers
        length = headers.get(b"Content-Length")
        if response.request.method == "HEAD":
            size = int(length) if length and length.isdigit() else None
        else:
            size = len(response.body)
        return self._fetched(info["url"], response.request.method, response.status,
                             headers.get(b"Content-Type", b"").decode("latin-1"), size, normalize(response.url),
                             info["chain"], response.meta.get("download_latency"),
                             headers.get(b"Last-Modified", b"").decode("latin-1"))

    def _fetched(self, url: str, method: str, status: int, content_type: str, size: int | None, final_url: str,
                 chain: list[list[object]], latency: float | None, last_modified: str) -> FetchItem:
        return FetchItem(url=url, method=method, status=status, content_type=content_type[:200], size=size,
                         final_url=final_url, chain=chain,
                         elapsed_ms=int(latency * 1000) if latency is not None else None,
                         same_site=host_key(url) in self.site_hosts, last_modified=last_modified[:100])


def _the_one_pipeline(crawler: Crawler) -> Callable[[Any], Any] | Literal[False]:
    """``process_item`` of the crawl's item pipeline when it is the only one and the audit's own
    (crawler/pipelines.py; the distributed audit's too), else False. Each of a page's ~36 HEAD
    answers went through Scrapy's chain of pipelines, coroutines and all, to reach it: ~1.4 % of
    the crawler's samples (py-spy, 10,000 pages)."""
    from crawler.pipelines import StorePipeline

    pipelines = getattr(crawler.engine.scraper.itemproc, "middlewares", ())  # type: ignore[union-attr]
    if len(pipelines) == 1 and isinstance(pipelines[0], StorePipeline):
        return pipelines[0].process_item  # type: ignore[no-any-return]
    return False


def _names_a_file(url: str) -> bool:
    """True when the URL's extension names a non-HTML file (PDF, image, archive): checked, not parsed."""
    path = urlsplit(url).path
    if "." not in path.rsplit("/", 1)[-1]:
        return False
    guessed, _ = mimetypes.guess_type(path)
    if guessed is None:
        return False
    major, _, minor = guessed.partition("/")
    return major in ("image", "audio", "video", "font") or guessed in _FILE_TYPES or minor.startswith(
        ("vnd.", "x-font", "zip", "x-7z", "x-rar", "x-tar", "gzip"))


_FILE_TYPES = frozenset({"application/pdf", "application/zip", "application/msword", "application/json",
                         "application/epub+zip", "application/octet-stream", "text/csv", "text/css",
                         "text/javascript", "application/javascript", "text/plain"})


def _error_kind(failure: Failure) -> str:
    """timeout, dns, tls, connection, too-large or error: the class routing and reports use."""
    if failure.check(DownloadTimeoutError, neterror.TimeoutError, neterror.TCPTimedOutError):
        return "timeout"
    if failure.check(CannotResolveHostError, neterror.DNSLookupError):
        return "dns"
    if failure.check(DownloadCancelledError):
        return "too-large"
    text = repr(failure.value)
    if "SSL" in text or "TLS" in text or "certificate" in text.lower():
        return "tls"
    if "maxsize" in text or "warnsize" in text:
        return "too-large"
    if failure.check(DownloadConnectionRefusedError, DownloadFailedError, ResponseDataLossError,
                     neterror.ConnectError, neterror.ConnectionLost, neterror.ConnectionRefusedError):
        return "connection"
    name = type(failure.value).__name__
    if name in ("ResponseNeverReceived", "ResponseFailed", "PotentialDataLoss"):
        return "connection"
    return "error"


def _short(value: object) -> str:
    text = str(value) or type(value).__name__
    return " ".join(text.split())[:300]
