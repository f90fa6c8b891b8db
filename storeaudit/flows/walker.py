"""The HTTP side of a checkout flow: one cookie jar per flow, every request through the guard.

A :class:`Walker` is a small browser: it keeps its own cookies (never the crawl's), sends the
Referer a browser would, follows redirects itself so that every hop passes
:func:`~storeaudit.flows.safety.guard`, and records each step it takes as a :class:`Step`.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin

import httpx
import lxml.html
from lxml import etree

from storeaudit.flows.safety import StopListError, StopPolicy, guard

__all__ = ["Page", "Step", "StepFailed", "Walker"]

REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass
class Step:
    """One step of a flow as stored in ``flow_steps``: what was requested and what was asserted."""

    name: str
    url: str
    method: str = "GET"
    status: int | None = None
    elapsed_ms: int | None = None
    assertion: str = ""
    ok: bool = True
    failure: str = ""
    detail: str = ""


@dataclass
class Page:
    """A response the flow received, with its parsed tree (None when not HTML)."""

    url: str
    status: int
    text: str
    content_type: str
    elapsed_ms: int
    root: etree._Element | None = field(default=None, repr=False)
    hops: list[str] = field(default_factory=list)


class StepFailed(Exception):
    """A step's assertion failed: the flow stops here (the step is already recorded)."""


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's verifying TLS context, made once: each client made its own (~20 ms, loading the
    certificate bundle), once per flow."""
    return httpx.create_ssl_context()


class Walker:
    """One flow's browser. Use as a context manager; ``steps`` is the flow's log."""

    def __init__(self, *, policy: StopPolicy, user_agent: str, timeout: float, max_redirects: int = 5,
                 site_hosts: frozenset[str] = frozenset(), check_external: bool = True):
        self.policy = policy
        self.max_redirects = max_redirects
        #: the store's hosts; with ``check_external`` off, assets on other hosts are not loaded
        self.site_hosts = site_hosts
        self.check_external = check_external
        self.client = httpx.Client(follow_redirects=False, timeout=timeout, verify=_tls_context(),
                                   headers={"User-Agent": user_agent,
                                            "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        self.steps: list[Step] = []

    def __enter__(self) -> Walker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def fetch(self, method: str, url: str, *, data: Iterable[tuple[str, str]] = (), button: str = "",
              referer: str = "") -> Page:
        """Send one request (and its redirects, as GET after 303/302 from POST), each guarded.

        Raises :class:`StopListError` before sending anything the stop list forbids, and
        ``httpx.HTTPError`` when the server does not answer.
        """
        fields = list(data)
        hops: list[str] = []
        started = time.monotonic()
        while True:
            guard(self.policy, method, url, button=button, fields=fields)
            headers = {"Referer": referer} if referer else {}
            if method == "POST":
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                response = self.client.request(method, url, content=urlencode(fields), headers=headers)
            else:
                response = self.client.request(method, url, headers=headers)
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or not location:
                break
            if len(hops) >= self.max_redirects:
                break
            hops.append(f"{response.status_code} {url}")
            target = urljoin(url, location)
            if response.status_code in (301, 302, 303) and method == "POST":
                method, fields, button = "GET", [], ""
            referer, url = url, target
        elapsed = int((time.monotonic() - started) * 1000)
        ctype = response.headers.get("content-type", "")
        text = response.text if "html" in ctype.lower() or not ctype else ""
        root = _parse(text) if text.strip() else None
        return Page(url=str(response.url), status=response.status_code, text=text, content_type=ctype,
                    elapsed_ms=elapsed, root=root, hops=hops)

    def step(self, name: str, method: str, url: str, **kwargs: object) -> tuple[Step, Page | None]:
        """Fetch and record a step; refused and unanswered requests are recorded as failed steps."""
        step = Step(name=name, url=url, method=method)
        self.steps.append(step)
        try:
            page = self.fetch(method, url, **kwargs)  # type: ignore[arg-type]
        except StopListError as exc:
            step.ok, step.failure, step.detail = False, "refused", str(exc)
            step.assertion = "the stop list allows the request"
            return step, None
        except httpx.HTTPError as exc:
            kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection"
            step.ok, step.failure, step.detail = False, kind, f"{kind}: {type(exc).__name__} {exc}"[:300]
            step.assertion = "the server answers"
            return step, None
        step.status, step.elapsed_ms = page.status, page.elapsed_ms
        if page.url != url:
            step.detail = f"redirected to {page.url}"
        return step, page

    def missing(self, name: str, url: str, *, method: str = "GET", assertion: str, failure: str,
                detail: str) -> StepFailed:
        """Record a step that could not even be sent (no link, no form) as failed."""
        step = Step(name=name, url=url, method=method, assertion=assertion)
        self.steps.append(step)
        return self.fail(step, failure, detail)

    @staticmethod
    def fail(step: Step, failure: str, detail: str) -> StepFailed:
        step.ok, step.failure = False, failure
        step.detail = (detail + ("; " + step.detail if step.detail else ""))[:500]
        return StepFailed(detail)


def _parse(text: str) -> etree._Element | None:
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None
