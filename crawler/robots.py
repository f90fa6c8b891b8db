"""robots.txt: Scrapy's middleware, with its requests that wait for a robots.txt fixed.

In Scrapy 2.19 under the asyncio reactor, while a host's robots.txt is downloading, every
other request to that host awaits the same Deferred through ``maybe_deferred_to_future``.
Each of those awaits adds a callback that returns ``None``, so only the first waiter gets the
parser and every later one gets ``None`` and goes out as if robots.txt allowed everything
(scrapy/scrapy#6802 dropped the branch that passed the result on). It shows whenever several
requests reach a host before its robots.txt is in: the external hosts a page links to, and
a resumed or distributed audit, whose queue is full from the start.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

__all__ = ["RobotsTxtMiddleware"]


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Every request waiting for a host's robots.txt gets the parsed file, not only the first."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            return await maybe_deferred_to_future(_branch(pending))
        return await super().robot_parser(request)

    def verdict(self, url: str, useragent: str) -> bool | None:
        """Whether robots.txt allows ``url``, as far as it is read already (None: not yet).

        For checks made beside Scrapy (crawler/head_checks.py): they never wait for a
        robots.txt; a URL whose host's file is not in yet goes through this middleware.
        """
        parser = self._parsers.get(urlsplit(url).netloc, False)
        if parser is False or isinstance(parser, Deferred):
            return None
        if parser is None:  # no robots.txt (or it failed): Scrapy allows everything
            return True
        return bool(parser.allowed(url, self._robotstxt_useragent or useragent))


def _branch(source: Deferred) -> Deferred:
    """A Deferred firing with ``source``'s result, leaving that result to the next callback."""
    branch: Deferred = Deferred()

    def fire(result: object) -> object:
        branch.callback(result)
        return result

    source.addCallback(fire)
    return branch
