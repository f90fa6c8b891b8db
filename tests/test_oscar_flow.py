"""Checkout flows against a real django-oscar 4.2 shop on 127.0.0.1 (tests/oscar_shop).

The shop is made once per module: migrated SQLite database, three standalone products with
stock and prices made through Oscar's models, Whoosh index. Each test starts Oscar's own
server as a subprocess; the audit runs through the real CLI.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from conftest import ROOT, run_cli
from storeaudit.flows.discovered import Candidate, walk_product
from storeaudit.flows.safety import DEFAULT_STOP_PATTERNS, StopListError, StopPolicy
from storeaudit.flows.walker import Page, Walker

pytestmark = pytest.mark.slow

#: Bound the crawl: facets and sort orders make an endless URL space; accounts, dashboard,
#: search and reviews are not what this test is about.
AUDIT_CONFIG = """
[crawl]
max_pages = 60
check_external = false
exclude = ["**selected_facets=**", "**sort_by=**", "**/accounts/**", "**/dashboard/**", "**/search/**",
           "**/reviews/**", "**/wishlists/**", "**/i18n/**"]
[flows]
max_flows = 3
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> dict[str, object]:
    data = tmp_path_factory.mktemp("oscar-shop")
    env = {**os.environ, "OSCAR_SHOP_DATA": str(data), "DJANGO_SETTINGS_MODULE": "oscar_shop.settings",
           "PYTHONPATH": str(ROOT / "tests")}
    setup = subprocess.run([sys.executable, str(ROOT / "tests" / "oscar_shop" / "setup_shop.py")], env=env,
                           capture_output=True, text=True, timeout=300)
    assert setup.returncode == 0, setup.stderr[-3000:]
    config = data / "audit.toml"
    config.write_text(AUDIT_CONFIG)
    return {"data": data, "env": env, "config": config}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def oscar(shop: dict[str, object], *, broken_product: str = "") -> Iterator[str]:
    """Oscar's server on a free port of 127.0.0.1; ``broken_product``: pk whose add-to-basket answers 500."""
    port = _free_port()
    data: Path = shop["data"]  # type: ignore[assignment]
    log = open(data / f"server-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
                            env={**shop["env"], "OSCAR_BROKEN_PRODUCT": broken_product},  # type: ignore[dict-item]
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):  # wait until it answers (not a timed assertion: it just has to come up)
            assert proc.poll() is None, (data / f"server-{port}.log").read_text()[-3000:]
            try:
                httpx.get(url + "catalogue/", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _shop_db(shop) -> sqlite3.Connection:
    return sqlite3.connect(shop["data"] / "shop.sqlite3")


def _orders(shop) -> int:
    with _shop_db(shop) as db:
        return db.execute("select count(*) from order_order").fetchone()[0]


def _audit(shop, url: str, name: str) -> tuple[dict, sqlite3.Connection]:
    db = shop["data"] / f"{name}.db"
    result = run_cli("audit", url, "--config", str(shop["config"]), "--db", str(db), "--format", "json",
                     "--output", "-", "--fail-on", "error")
    assert result.code in (0, 1), result.stderr
    return result.json(), sqlite3.connect(db)


def test_flows_reach_oscars_checkout_with_the_product_in_the_basket_and_order_nothing(shop):
    with oscar(shop) as url:
        report, db = _audit(shop, url, "working")
    flows = db.execute("select flow, page, outcome from flows").fetchall()
    assert len(flows) == 3 and {o for _, _, o in flows} == {"reached-checkout"}, flows
    assert {p.split("/catalogue/")[1] for _, p, _ in flows} == {"copper-kettle_1/", "chef-knife_2/", "oak-board_3/"}
    steps = db.execute("select flow, name, url, status, ok, assertion from flow_steps where name in "
                       "('add-to-basket', 'basket', 'checkout') order by flow, step").fetchall()
    for flow, name, step_url, status, ok, assertion in steps:
        assert ok == 1 and status == 200, (flow, name)
    checkout = [s for s in steps if s[1] == "checkout"]
    assert len(checkout) == 3 and all(s[2] == url + "checkout/" for s in checkout)
    assert all(s[5] == "the basket shows the product" for s in steps if s[1] == "basket")
    assert [f for f in report["findings"] if f["category"] == "checkout"] == []
    with _shop_db(shop) as shop_db:  # each flow's own basket holds its product
        lines = shop_db.execute("select basket_id, product_id from basket_line").fetchall()
    assert sorted(p for _, p in lines) == [1, 2, 3] and len({b for b, _ in lines}) == 3
    assert _orders(shop) == 0


def test_a_broken_add_to_basket_is_reported_for_it(shop):
    with oscar(shop, broken_product="2") as url:
        report, db = _audit(shop, url, "broken")
    outcomes = dict(db.execute("select page, outcome from flows"))
    assert outcomes == {url + "catalogue/chef-knife_2/": "failed", url + "catalogue/copper-kettle_1/": "reached-checkout",
                        url + "catalogue/oak-board_3/": "reached-checkout"}
    found = [f for f in report["findings"] if f["category"] == "checkout"]
    assert [(f["code"], f["page"], f["team"]) for f in found] == [("CHK001", url + "catalogue/chef-knife_2/", "it")]
    assert found[0]["evidence"]["status"] == 500 and found[0]["evidence"]["url"] == url + "basket/add/2/"
    assert report["run"]["status"] == "complete"
    assert _orders(shop) == 0


def _form(page: Page, field: str):  # type: ignore[no-untyped-def]
    return next(f for f in page.root.forms if field in f.inputs.keys())


def _guest_checkout_to_payment(walker: Walker, url: str) -> Page:
    """Guest email, then a shipping address: Oscar then redirects on towards payment."""
    walk_product(walker, Candidate(page=url + "catalogue/oak-board_3/", action=url + "basket/add/3/"))
    page = walker.fetch("GET", url + "checkout/")
    form = _form(page, "username")
    form.fields["username"], form.fields["options"] = "shopper@example.com", "anonymous"
    page = walker.fetch("POST", page.url, data=form.form_values(), referer=page.url)
    form = _form(page, "line1")
    for name, value in dict(first_name="Ada", last_name="Shopper", line1="1 High Street", line4="Bristol",
                            postcode="BS1 4DJ").items():
        form.fields[name] = value
    return walker.fetch("POST", page.url, data=form.form_values(), referer=page.url)


def test_the_stop_list_stops_oscars_checkout_before_payment_and_before_placing_the_order(shop):
    agent = "storeaudit-test checkout-flow"
    with oscar(shop) as url:
        with Walker(policy=StopPolicy(), user_agent=agent, timeout=10) as walker:
            with pytest.raises(StopListError, match="payment-method"):
                _guest_checkout_to_payment(walker, url)
        # Even with every payment word taken off the list, the preview's place-order POST is refused.
        lax = StopPolicy(patterns=tuple(p for p in DEFAULT_STOP_PATTERNS if "pay" not in p))
        with Walker(policy=lax, user_agent=agent, timeout=10) as walker:
            _guest_checkout_to_payment(walker, url)
            preview = walker.fetch("GET", url + "checkout/preview/")
            form = _form(preview, "action")
            assert dict(form.form_values())["action"] == "place_order"
            with pytest.raises(StopListError, match="place order"):
                walker.fetch("POST", preview.url, data=form.form_values(), referer=preview.url)
    assert _orders(shop) == 0
