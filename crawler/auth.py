"""Credentials for staging stores: basic auth, extra headers and cookies from the environment.

The config names environment variables (``[auth] headers_env = { X-Token = "SHOP_TOKEN" }``),
never values: the values are read when the crawl starts, kept in memory only, and attached
only to requests for the store's own hosts, so an external link never receives them. The run's
stored settings hold the variable names, which is all a report or a log can ever show.
"""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING, Any

from config import Config, ConfigError
from crawler.urls import host_key

if TYPE_CHECKING:  # an audit reads its credentials before it imports Scrapy
    from scrapy import Request
    from scrapy.crawler import Crawler

__all__ = ["AuthMiddleware", "auth_values"]


def _env(config: Config, key: str, name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"environment variable {name} is not set (or empty)", key=key, file=config.source)
    return value


def auth_values(config: Config) -> dict[str, str]:
    """The request headers the config's ``[auth]`` section asks for, read from the environment.

    Raises :class:`ConfigError` (exit 2) naming the key and the variable when one is missing.
    """
    headers: dict[str, str] = {}
    user_var, password_var = config["auth.basic_user_env"], config["auth.basic_password_env"]
    if user_var or password_var:
        user = _env(config, "auth.basic_user_env", user_var) if user_var else ""
        password = _env(config, "auth.basic_password_env", password_var) if password_var else ""
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    for name, var in config["auth.headers_env"].items():
        headers[name] = _env(config, f"auth.headers_env.{name}", var)
    cookies = [f"{name}={_env(config, f'auth.cookies_env.{name}', var)}"
               for name, var in config["auth.cookies_env"].items()]
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    return headers


class AuthMiddleware:
    """Adds the configured credentials to requests for the spider's own hosts, and to no others.

    Runs after Scrapy's CookiesMiddleware, so configured cookies join the ones the store set.
    Off (no-op) when the config has no ``[auth]`` values.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._headers: dict[str, str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AuthMiddleware:
        return cls(crawler)

    def _values(self) -> dict[str, str]:
        if self._headers is None:
            self._headers = auth_values(self.crawler.spider.config)  # type: ignore[union-attr]
        return self._headers

    def process_request(self, request: Request, spider: Any = None) -> None:
        headers = self._values()
        if not headers or request.meta.get("storeaudit_auth"):
            return None
        if host_key(request.url) not in self.crawler.spider.site_hosts:  # type: ignore[union-attr]
            return None
        for name, value in headers.items():
            if name == "Cookie" and request.headers.get(b"Cookie"):
                value = request.headers[b"Cookie"].decode("latin-1") + "; " + value
            request.headers[name] = value
        request.meta["storeaudit_auth"] = True
        return None
