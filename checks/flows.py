"""Flow checks: what broke on the way from a product page to the checkout.

The flows themselves run after the crawl (``storeaudit/flows``) and store every step in
``flow_steps``; these checks read those steps. Each finding is on the product page the flow
started from and names the flow, the failing step and the evidence (URL, status, assertion).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from checks.context import RunContext
from checks.registry import Finding, flow_check

_STEPS_SQL = """
    select f.flow, f.name as flow_name, f.page, s.step, s.name, s.url, s.method, s.status, s.elapsed_ms,
           s.assertion, s.ok, s.failure, s.detail
    from flow_steps s join flows f on f.run_id = s.run_id and f.flow = s.flow
    where s.run_id = :run and f.kind = :kind {where}
    order by f.flow, s.step
"""


def _steps(run: RunContext, where: str, params: dict[str, Any] | None = None, *,
           kind: str = "discovered") -> Iterator[dict[str, Any]]:
    """Steps of the run's flows of ``kind`` (discovered or declared) matching ``where``."""
    yield from run.query(_STEPS_SQL.format(where=where), {"kind": kind, **(params or {})})


def _status_class(status: int | None, failure: str) -> str:
    if failure in ("timeout", "connection"):
        return failure
    return f"{status // 100}xx" if status else ""


def _finding(code: str, row: dict[str, Any], message: str, *, element: str = "form") -> Finding:
    evidence = {"element": element, "region": "main", "flow": row["flow_name"], "step": row["step"],
                "step_name": row["name"], "url": row["url"], "method": row["method"], "status": row["status"],
                "elapsed_ms": row["elapsed_ms"], "assertion": row["assertion"], "detail": row["detail"]}
    return Finding(code=code, page=row["page"], message=message, group=f"{row['page']} {row['name']}",
                   evidence={k: v for k, v in evidence.items() if v not in (None, "")},
                   status_class=_status_class(row["status"], row["failure"]))


def _what(row: dict[str, Any]) -> str:
    return row["detail"] or row["failure"]


@flow_check("CHK001", "add-to-basket-fails", category="checkout", severity="error", team="it",
            title="Add to basket does not work")
def add_to_basket_fails(run: RunContext, options: None) -> Iterator[Finding]:
    """Submitting a product's add-to-basket form the way a browser does fails: the store
    answers with an error (status 400 or more, an error page), does not answer, or the form is
    gone from an in-stock product page. The shopper cannot buy the product at all.

    Reproduce it with the flow's step log (URL, status, what was sent) and look at the
    platform's log for that request. Common causes: a broken product or stock record, a CSRF
    or session failure, a plug-in error on add-to-basket.
    """
    for row in _steps(run, "and s.ok = 0 and s.name in ('product', 'add-to-basket') and s.failure != 'refused'"):
        yield _finding("CHK001", row, f"Add to basket fails at step {row['step']} ({row['name']}): {_what(row)}")


@flow_check("CHK002", "product-missing-from-basket", category="checkout", severity="error", team="it",
            title="Product missing from the basket after adding it")
def product_missing_from_basket(run: RunContext, options: None) -> Iterator[Finding]:
    """After the add-to-basket form was accepted, the basket page fails or does not show the
    product. The shopper thinks the product was added and finds an empty basket at checkout,
    or cannot find the basket at all.

    Check that adding really stores the basket line (session cookie, stock reservation) and
    that the basket page lists it with a link to the product; the step log shows the URLs.
    """
    for row in _steps(run, "and s.ok = 0 and s.name = 'basket' and s.failure != 'refused'"):
        yield _finding("CHK002", row, f"The basket fails at step {row['step']}: {_what(row)}", element="page")


@flow_check("CHK003", "checkout-page-fails", category="checkout", severity="error", team="it",
            title="Checkout page fails")
def checkout_page_fails(run: RunContext, options: None) -> Iterator[Finding]:
    """With a product in the basket, the way to checkout is missing or the checkout page
    answers with an error, does not answer, or sends the shopper back to the basket. Every
    shopper with that product in the basket is lost at the last step.

    Open the checkout with the same product in the basket (the step log names it) and read the
    platform's error log; check shipping rules, prices and stock data of that product.
    """
    for row in _steps(run, "and s.ok = 0 and s.name = 'checkout' and s.failure not in ('refused', 'no-form')"):
        yield _finding("CHK003", row, f"Checkout fails at step {row['step']}: {_what(row)}", element="page")


@flow_check("CHK004", "checkout-form-missing", category="checkout", severity="error", team="it",
            title="Checkout page without a checkout form")
def checkout_form_missing(run: RunContext, options: None) -> Iterator[Finding]:
    """The checkout page loads but has no form asking for the shopper's email, address or
    shipping choice, so there is no way to go on (often a template or script error that
    removed the form).

    Compare the checkout page with a working one; check the checkout template and the
    scripts that render the form.
    """
    for row in _steps(run, "and s.ok = 0 and s.name = 'checkout' and s.failure = 'no-form'"):
        yield _finding("CHK004", row, f"Checkout page without a form at step {row['step']}: {_what(row)}",
                       element="page")


@dataclass(frozen=True)
class SlowStepOptions:
    max_seconds: float = field(default=5.0, metadata={"help": "a step of a checkout flow slower than this is reported"})


@flow_check("CHK005", "slow-checkout-step", category="checkout", severity="warning", team="it",
            title="Slow step on the way to checkout", options=SlowStepOptions)
def slow_checkout_step(run: RunContext, options: SlowStepOptions) -> Iterator[Finding]:
    """A step of the checkout flow (product page, add to basket, basket, checkout) took longer
    than the configured limit. Shoppers abandon baskets when adding or checking out hangs.

    Profile that request on the server (the step log gives URL and time); look at basket and
    stock queries, external calls (tax, shipping rates) and caching.
    """
    limit = int(options.max_seconds * 1000)
    for row in [*_steps(run, "and s.name != 'asset' and s.elapsed_ms > :limit", {"limit": limit}),
                *_steps(run, "and s.elapsed_ms > :limit", {"limit": limit}, kind="declared")]:
        seconds = row["elapsed_ms"] / 1000
        yield _finding("CHK005", row, f"Step {row['step']} ({row['name']}) took {seconds:.1f} s "
                       f"(limit {options.max_seconds:g} s)", element="page")


@flow_check("CHK006", "checkout-over-plain-http", category="checkout", severity="error", team="it",
            title="Basket or checkout served over plain HTTP")
def checkout_over_http(run: RunContext, options: None) -> Iterator[Finding]:
    """The store is served over HTTPS but a basket or checkout step was answered over plain
    HTTP. Addresses and emails travel unencrypted and browsers mark the page "not secure".

    Redirect every http:// URL to https:// (HSTS helps) and fix links and form actions that
    name http:// addresses.
    """
    start = run.db.execute("select start_url from runs where id = ?", [run.run_id]).fetchone()
    if not start or urlsplit(start[0]).scheme != "https":
        return
    for row in [*_steps(run, "and s.name in ('add-to-basket', 'basket', 'checkout') and s.url like 'http:%'"),
                *_steps(run, "and s.url like 'http:%'", kind="declared")]:
        yield _finding("CHK006", row, f"Step {row['step']} ({row['name']}) uses plain HTTP: {row['url']}",
                       element="page")


@flow_check("CHK007", "broken-checkout-asset", category="checkout", severity="error", team="it",
            title="Stylesheet or script of the checkout page does not load")
def broken_checkout_asset(run: RunContext, options: None) -> Iterator[Finding]:
    """A stylesheet or script the checkout page loads answers with an error or does not
    answer. The checkout then shows unstyled or its buttons, address search or payment fields
    do not work.

    Restore the file or fix its reference in the checkout template; check the deployment that
    publishes checkout assets.
    """
    for row in _steps(run, "and s.ok = 0 and s.name = 'asset'"):
        yield _finding("CHK007", row, f"Checkout asset fails: {row['url']} ({_what(row)})", element="link")


@flow_check("CHK008", "checkout-flow-refused", category="checkout", severity="notice", team="it",
            title="Checkout flow stopped by the stop list")
def checkout_flow_refused(run: RunContext, options: None) -> Iterator[Finding]:
    """A checkout flow stopped before reaching the checkout page because the next request
    matched the stop list (it might place an order or pay), so this part of the checkout was
    not tested.

    Nothing may be broken. If the button only adds to the basket (some stores label it
    "Buy now"), remove that pattern from flows.stop_patterns after checking what it does.
    """
    for kind in ("discovered", "declared"):
        for row in _steps(run, "and s.failure = 'refused' and s.name != 'asset'", kind=kind):
            yield _finding("CHK008", row, f"Flow stopped at step {row['step']} ({row['name']}): {row['detail']}")


@flow_check("CHK009", "declared-flow-step-fails", category="checkout", severity="error", team="it",
            title="Step of a declared checkout flow fails")
def declared_flow_step_fails(run: RunContext, options: None) -> Iterator[Finding]:
    """A step of a checkout flow declared in the config for this store failed: the page
    answered with an error, the link or form it names is missing, or the text or element it
    must show is not there. That part of the store's own checkout script is broken for shoppers.

    The finding names the flow and the step with its URL and status; open the same page with
    the same basket to reproduce it. If the store changed on purpose, update the flow in the config.
    """
    for row in _steps(run, "and s.ok = 0 and s.failure != 'refused'", kind="declared"):
        yield _finding("CHK009", row, f"Declared flow '{row['flow_name']}' fails at step {row['step']} "
                       f"({row['name']}): {_what(row)}", element="page")
