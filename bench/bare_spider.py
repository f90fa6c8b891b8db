"""The bare Scrapy baseline: follow same-site links, nothing else.

Tuned as shared/NOTES.md describes (~500 pages/s on this kind of machine): URLs are
de-duplicated in the spider before a Request is created, and ``CONCURRENT_ITEMS=1``.
Prints ``{"pages": N}`` when done.

    python -m bench.bare_spider http://127.0.0.1:8080/ --concurrency 16
"""

from __future__ import annotations

import argparse
import json
from urllib.parse import urldefrag, urljoin, urlsplit

import scrapy
from scrapy.crawler import AsyncCrawlerProcess


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, url: str, **kw):  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self.start_url = url
        self.host = urlsplit(url).netloc
        self.seen = {url}
        self.pages = 0
        self.responses = 0

    async def start(self):  # type: ignore[no-untyped-def]
        yield scrapy.Request(self.start_url)

    def parse(self, response):  # type: ignore[no-untyped-def]
        self.responses += 1
        if b"html" not in response.headers.get(b"Content-Type", b""):
            return
        if 200 <= response.status < 300:
            self.pages += 1
        for href in response.xpath("//a/@href").getall():
            url = urldefrag(urljoin(response.url, href))[0]
            if url in self.seen or urlsplit(url).netloc != self.host:
                continue
            self.seen.add(url)
            yield scrapy.Request(url, dont_filter=True)

    def closed(self, reason):  # type: ignore[no-untyped-def]
        print(json.dumps({"pages": self.pages, "responses": self.responses}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    process = AsyncCrawlerProcess({
        "LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": args.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency, "CONCURRENT_ITEMS": 1,
        "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False, "HTTPERROR_ALLOW_ALL": True,
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
    })
    process.crawl(BareSpider, url=args.url)
    process.start()


if __name__ == "__main__":
    main()
