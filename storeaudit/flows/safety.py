"""The stop list: the one gate every checkout-flow request goes through.

A flow must never place an order or pay. :func:`guard` is called by the walker for every
request a flow makes (page, form submission, redirect hop, asset) and raises
:class:`StopListError` when the URL, the button text or a submitted field names a stop
pattern, or the host is a payment gateway. Enforced in code, not by convention: there is no
way for a flow to send a request around it.

"buy now" is on the list although some stores label their add-to-basket button that way:
on others (one-click buying) the same words place an order. Such a store can drop it from
``flows.stop_patterns`` after checking what the button does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

__all__ = ["ALWAYS_STOP", "DEFAULT_STOP_HOSTS", "DEFAULT_STOP_PATTERNS", "StopListError", "StopPolicy", "guard"]

#: Refused whatever the config says: the words of the button that places an order.
ALWAYS_STOP: tuple[str, ...] = ("place order", "confirm order", "submit order", "complete order",
                                "complete purchase")
DEFAULT_STOP_PATTERNS: tuple[str, ...] = (
    *ALWAYS_STOP, "purchase", "pay", "pay now", "payment", "buy now", "one click", "1 click", "authorize",
    "authorise",
)
DEFAULT_STOP_HOSTS: tuple[str, ...] = (
    "paypal.com", "paypalobjects.com", "stripe.com", "stripe.network", "adyen.com", "adyenpayments.com",
    "klarna.com", "klarnaservices.com", "braintreegateway.com", "braintree-api.com", "checkout.com",
    "worldpay.com", "opayo.co.uk", "sagepay.com", "mollie.com", "squareup.com", "authorize.net",
    "afterpay.com", "clearpay.co.uk", "affirm.com", "pay.amazon.com", "payments.amazon.com",
    "shopifypay.com", "pay.google.com", "apple-pay-gateway.apple.com", "2checkout.com", "payu.com",
)
_WORD = re.compile(r"[a-z0-9]+")
SAFE_METHODS = frozenset({"GET", "HEAD", "POST"})


class StopListError(Exception):
    """A flow tried a request that could place an order or pay; it was not sent."""


def _words(text: str) -> list[str]:
    return _WORD.findall(unquote(text).lower())


@dataclass(frozen=True)
class StopPolicy:
    """Stop patterns (matched as whole words, also run together: 'placeOrder') and gateway hosts.

    :data:`ALWAYS_STOP` is checked too, whatever ``patterns`` holds: a config can add and
    remove patterns, but not switch off the refusal to place an order.
    """

    patterns: tuple[str, ...] = DEFAULT_STOP_PATTERNS
    hosts: tuple[str, ...] = DEFAULT_STOP_HOSTS

    def pattern_in(self, text: str) -> str:
        """The first stop pattern ``text`` names, or ''."""
        words = _words(text)
        if not words:
            return ""
        joined = set(words)
        for pattern in (*ALWAYS_STOP, *self.patterns):
            pw = _words(pattern)
            if not pw:
                continue
            if "".join(pw) in joined:
                return pattern
            n = len(pw)
            if any(words[i:i + n] == pw for i in range(len(words) - n + 1)):
                return pattern
        return ""

    def host_blocked(self, url: str) -> str:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        for blocked in self.hosts:
            if host == blocked or host.endswith("." + blocked):
                return blocked
        return ""


def guard(policy: StopPolicy, method: str, url: str, *, button: str = "",
          fields: Iterable[tuple[str, str]] = ()) -> None:
    """Raise :class:`StopListError` unless the request is safe for a checkout flow to send."""
    method = method.upper()
    if method not in SAFE_METHODS:
        raise StopListError(f"refused {method} {url}: flows only send GET, HEAD and POST")
    if urlsplit(url).scheme not in ("http", "https"):
        raise StopListError(f"refused {method} {url}: flows only request http(s) addresses")
    host = policy.host_blocked(url)
    if host:
        raise StopListError(f"refused {method} {url}: {host} is a payment host")
    parts = urlsplit(url)
    checks = [("URL", f"{parts.path} {parts.query}"), ("button", button)]
    checks += [(f"field {name}", f"{name} {value}") for name, value in fields]
    for what, text in checks:
        pattern = policy.pattern_in(text)
        if pattern:
            raise StopListError(f"refused {method} {url}: {what} matches the stop pattern {pattern!r}")
