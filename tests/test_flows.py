"""Checkout flows: the stop list holds, each flow has its own cookie jar, findings name the step.

Real servers on 127.0.0.1: the demo store, and a tiny store whose add-to-basket redirects
straight to an order-placing URL that counts its hits.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from config import load_config
from storeaudit.demo.server import DemoServer
from storeaudit.flows.discovered import Candidate, walk_product
from storeaudit.flows.runner import policy_of, sample, save_flow
from storeaudit.flows.safety import StopListError, StopPolicy, guard
from storeaudit.flows.walker import Step, StepFailed, Walker
from storeaudit.store import open_db

POLICY = StopPolicy()


def walker() -> Walker:
    return Walker(policy=POLICY, user_agent="storeaudit-test checkout-flow", timeout=5)


@pytest.mark.parametrize("method, url, button, fields", [
    ("POST", "http://shop.test/checkout/preview/", "Place order", []),
    ("POST", "http://shop.test/checkout/preview/", "Continue", [("action", "place_order")]),
    ("POST", "http://shop.test/checkout/placeOrder", "", []),
    ("GET", "http://shop.test/checkout/payment-details/", "", []),
    ("POST", "http://shop.test/cart", "Buy now", []),
    ("GET", "https://www.paypal.com/checkoutnow?token=1", "", []),
    ("GET", "https://js.stripe.com/v3/", "", []),
    ("DELETE", "http://shop.test/basket/", "", []),
    ("GET", "ftp://shop.test/basket/", "", []),
])
def test_the_stop_list_refuses_what_could_order_or_pay(method, url, button, fields):
    with pytest.raises(StopListError):
        guard(POLICY, method, url, button=button, fields=fields)


@pytest.mark.parametrize("method, url, button, fields", [
    ("POST", "http://shop.test/basket/add/12/", "Add to basket", [("quantity", "1"), ("csrfmiddlewaretoken", "aZ9")]),
    ("GET", "http://shop.test/checkout/", "", []),
    ("GET", "http://shop.test/product/display-stand", "", []),  # 'display' is not 'pay'
    ("GET", "http://shop.test/checkout/shipping-address/", "", []),
])
def test_the_stop_list_lets_a_shopping_flow_through(method, url, button, fields):
    guard(POLICY, method, url, button=button, fields=fields)


def test_stop_patterns_come_from_config():
    config = load_config(None, overrides={"flows.stop_patterns": ["basket"], "flows.stop_hosts": ["shop.test"]})
    policy = policy_of(config)
    with pytest.raises(StopListError):
        guard(policy, "GET", "http://other.test/basket/")
    with pytest.raises(StopListError):
        guard(policy, "GET", "http://cdn.shop.test/x.js")
    guard(policy, "POST", "http://other.test/payment")  # the user replaced the defaults...
    with pytest.raises(StopListError):  # ...but cannot switch off the refusal to place an order
        guard(policy, "POST", "http://other.test/checkout/", button="Place order")


@pytest.fixture()
def demo():
    with DemoServer() as server:
        yield server


def test_a_flow_reaches_checkout_and_cannot_submit_it(demo):
    kettle = demo.origin + "/product/copper-kettle"
    with walker() as w:
        walk_product(w, Candidate(page=kettle, action=demo.origin + "/basket/add"))
        names = [(s.name, s.method, s.status, s.ok) for s in w.steps if s.name != "asset"]
        assert names == [("product", "GET", 200, True), ("add-to-basket", "POST", 200, True),
                         ("basket", "GET", 200, True), ("checkout", "GET", 200, True)]
        assert all(s.ok and s.status == 200 for s in w.steps if s.name == "asset")
        checkout = w.fetch("GET", demo.origin + "/checkout/")
        form = checkout.root.forms[0]
        with pytest.raises(StopListError, match="place order"):
            w.fetch("POST", demo.origin + form.action, data=form.form_values(), button="Continue")
    assert demo.orders == 0
    assert not [r for r in demo.flow_requests if "place-order" in r[1]]


def test_each_flow_has_its_own_cookie_jar(demo):
    with walker() as first, walker() as second:
        walk_product(first, Candidate(page=demo.origin + "/product/linen-napkins", action=demo.origin + "/basket/add"))
        walk_product(second, Candidate(page=demo.origin + "/product/chef-knife", action=demo.origin + "/basket/add"))
        basket = second.fetch("GET", demo.origin + "/basket/").text
    assert "Chef" in basket and "Linen" not in basket


def test_a_failing_add_to_basket_stops_the_flow_at_that_step(demo):
    with walker() as w:
        with pytest.raises(StepFailed):
            walk_product(w, Candidate(page=demo.origin + "/product/oak-board", action=demo.origin + "/basket/add"))
    assert [(s.name, s.ok, s.status, s.failure) for s in w.steps] == [
        ("product", True, 200, ""), ("add-to-basket", False, 500, "status")]


class _OrderTrap(BaseHTTPRequestHandler):
    """A store whose add-to-cart answers with a redirect to the URL that places the order."""

    orders = 0
    page = (b'<html><body><h1>Trap kettle</h1><form method="post" action="/cart/add">'
            b'<input type="hidden" name="id" value="7"><button>Add to cart</button></form></body></html>')

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", location=""):
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/checkout/place-order"):
            type(self).orders += 1
            return self._send(200, b"<html><body>Thank you</body></html>")
        self._send(200, self.page)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/checkout/place-order"):
            type(self).orders += 1
        self._send(303, location="/checkout/place-order?express=1")


def test_a_redirect_to_an_order_placing_url_is_never_followed():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OrderTrap)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with walker() as w:
            with pytest.raises(StepFailed):
                walk_product(w, Candidate(page=origin + "/product/trap", action=origin + "/cart/add"))
        add = w.steps[-1]
        assert (add.name, add.failure) == ("add-to-basket", "refused")
        assert "place order" in add.detail
        assert _OrderTrap.orders == 0
    finally:
        server.shutdown()
        server.server_close()


def _candidates(db, rows):
    db["flow_candidates"].insert_all([{"run_id": 1, "page": p, "action": p + "/add", "method": "POST", "button": "Add",
                                       "marker": "", "fields": "[]", "template": t, "in_stock": s} for p, t, s in rows])


def test_the_sample_takes_one_product_per_template_first(tmp_path):
    db = open_db(tmp_path / "a.db")
    _candidates(db, [("http://s/p/a", "T1", 1), ("http://s/p/b", "T1", 1), ("http://s/p/c", "T1", 1),
                     ("http://s/p/d", "T2", 1), ("http://s/p/e", "T3", 0)])
    assert [c.page for c in sample(db, 1, 3)] == ["http://s/p/a", "http://s/p/d", "http://s/p/b"]
    assert [c.page for c in sample(db, 1, 10)] == ["http://s/p/a", "http://s/p/d", "http://s/p/b", "http://s/p/c"]


def _findings(db, start_url):
    from checks.context import RunContext
    from checks.runner import run_site_checks

    db["runs"].insert({"id": 1, "start_url": start_url, "status": "running"}, pk="id", alter=True)
    return [f for f in run_site_checks(RunContext(db=db, run_id=1, config=load_config(None)))
            if f.code.startswith("CHK")]


def test_flow_findings_name_the_flow_and_the_step(tmp_path):
    db = open_db(tmp_path / "a.db")
    steps = [Step("product", "https://s/p/a", status=200, elapsed_ms=80),
             Step("add-to-basket", "http://s/basket/add", "POST", status=200, elapsed_ms=9000),
             Step("basket", "https://s/basket/", status=200, elapsed_ms=50),
             Step("checkout", "https://s/checkout/", status=200, elapsed_ms=50, ok=False, failure="no-form",
                  detail="the checkout page has no form"),
             Step("asset", "https://s/static/checkout.js", status=404, ok=False, failure="status")]
    save_flow(db, 1, "product-1", kind="discovered", page="https://s/p/a", name="flow a", outcome="failed",
              message="", steps=steps)
    found = {f.code: f for f in _findings(db, "https://s/")}
    assert set(found) == {"CHK004", "CHK005", "CHK006", "CHK007"}
    assert found["CHK005"].evidence["step"] == 2 and found["CHK005"].evidence["flow"] == "flow a"
    assert found["CHK006"].evidence["url"] == "http://s/basket/add"
    assert all(f.page == "https://s/p/a" for f in found.values())


def test_a_working_flow_has_no_findings(tmp_path):
    db = open_db(tmp_path / "a.db")
    steps = [Step(n, f"https://s/{n}", status=200, elapsed_ms=100) for n in ("product", "add-to-basket", "basket", "checkout")]
    save_flow(db, 1, "product-1", kind="discovered", page="https://s/p/a", name="flow a", outcome="reached-checkout",
              message="", steps=steps)
    assert _findings(db, "https://s/") == []


def test_the_html_report_shows_each_flow_step_log_under_it(demo_audit):
    from reports import render

    html = render(open_db(demo_audit["_db"]), "html", run_id=demo_audit["run"]["id"])
    it = html.split('id="team-it"', 1)[1].split('<section class="team"', 1)[0].split("Ignored findings", 1)[0]
    assert 'id="checkout-flows"' in it and 'id="checkout-flows"' not in html.split('id="team-it"', 1)[0]
    assert it.count('<h4 id="flow-product-') == 10  # every in-stock product of the demo
    flows = it.split('id="checkout-flows"', 1)[1]
    oak = flows.split("/product/oak-board</a>", 1)[1].split("</table>", 1)[0]
    assert "POST /basket/add" in oak and "<td>500</td>" in oak


DECLARED = """
[flows]
max_flows = 0

[[flows.declared]]
name = "guest checkout"
start = "/product/copper-kettle"
steps = [
  { name = "add", submit = "form.add-to-basket", expect_text = "Copper Stovetop Kettle" },
  { name = "to checkout", follow = "main a[href*=checkout]", expect_selector = "form input[type=email]" },
  { name = "order", submit = "form.checkout", fields = { email = "${SA_TEST_EMAIL}", address = "1 High St" } },
]

[[flows.declared]]
name = "gift wrap offered"
start = "/product/linen-napkins"
steps = [{ submit = "form.add-to-basket", expect_text = "Gift wrapping" }]
"""


def test_declared_flows_run_their_steps_and_still_cannot_order(demo, tmp_path, monkeypatch):
    from config import parse_config
    from storeaudit.flows.runner import run_flows
    import tomllib

    monkeypatch.setenv("SA_TEST_EMAIL", "secret-shopper@example.com")
    config = parse_config(tomllib.loads(DECLARED))
    db = open_db(tmp_path / "a.db")
    db["runs"].insert({"id": 1, "start_url": demo.url, "status": "running"}, pk="id", alter=True)
    assert run_flows(db, 1, config) == 2
    steps = [(r["flow"], r["name"], r["ok"], r["failure"]) for r in db.query("select * from flow_steps order by flow, step")]
    assert steps == [("declared-1", "start", 1, ""), ("declared-1", "add", 1, ""), ("declared-1", "to checkout", 1, ""),
                     ("declared-1", "order", 0, "refused"),
                     ("declared-2", "start", 1, ""), ("declared-2", "submit 1", 0, "missing-text")]
    assert demo.orders == 0
    assert "secret-shopper" not in (tmp_path / "a.db").read_bytes().decode("latin-1")  # values are never stored
    found = sorted((f.code, f.evidence["flow"]) for f in _findings_of(db))
    assert found == [("CHK008", "guest checkout"), ("CHK009", "gift wrap offered")]


def _findings_of(db):
    from checks.context import RunContext
    from checks.runner import run_site_checks

    return [f for f in run_site_checks(RunContext(db=db, run_id=1, config=load_config(None))) if f.code.startswith("CHK")]


@pytest.mark.parametrize("steps, message", [
    ('[{ open = "/", follow = "a" }]', "exactly one of open, follow, submit"),
    ('[{ follow = "a[[" }]', "not a valid CSS selector"),
    ('[{ submit = "form", fields = { qty = 1 } }]', "table of field names and string values"),
    ('[{ click = "a" }]', "unknown key"),
    ("[]", "non-empty array"),
])
def test_a_malformed_declared_flow_is_a_config_error(steps, message, tmp_path):
    from conftest import run_cli

    path = tmp_path / "bad.toml"
    path.write_text(f'[[flows.declared]]\nname = "x"\nstart = "/"\nsteps = {steps}\n')
    result = run_cli("config", "check", str(path))
    assert result.code == 2 and message in result.stderr and "flows.declared[0]" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_basket_without_the_product_is_reported(tmp_path):
    db = open_db(tmp_path / "a.db")
    steps = [Step("product", "https://s/p/a", status=200, elapsed_ms=80),
             Step("add-to-basket", "https://s/basket/add", "POST", status=302, elapsed_ms=90),
             Step("basket", "https://s/basket/", status=200, elapsed_ms=50, ok=False, failure="missing-product",
                  detail="the basket does not show 'Kettle'")]
    save_flow(db, 1, "product-1", kind="discovered", page="https://s/p/a", name="flow a", outcome="failed",
              message="", steps=steps)
    found = _findings(db, "https://s/")
    assert [(f.code, f.page, f.evidence["step"]) for f in found] == [("CHK002", "https://s/p/a", 3)]
