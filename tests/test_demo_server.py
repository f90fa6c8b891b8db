"""The bundled demo store serves what ground_truth.json says it does."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from storeaudit.demo.server import ROUTES, SITE_DIR, DemoServer

GROUND_TRUTH = json.loads((SITE_DIR.parent / "ground_truth.json").read_text("utf-8"))
SLOW = "/img/slow-banner.jpg"  # never requested in tests (8 s)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


NO_REDIRECT = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, method: str = "GET", follow: bool = True):
    """Return (status, headers, body) without raising on HTTP errors."""
    req = urllib.request.Request(url, method=method)
    opener = urllib.request.build_opener() if follow else NO_REDIRECT
    try:
        with opener.open(req, timeout=5) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


@pytest.fixture
def server():
    with DemoServer() as srv:
        yield srv


def test_home_page_is_html_with_substituted_origins(server):
    status, headers, body = fetch(server.url)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    text = body.decode()
    assert "__EXTERNAL__" not in text and "__ORIGIN__" not in text
    assert '<a href="/stores/locator">Find a store</a>' in text and "&copy; 2026 Hearth &amp; Home" in text
    status, _, body = fetch(server.origin + "/blog/perfect-pour-over")
    assert status == 200 and server.external_origin + "/partner/gone" in body.decode()
    assert server.url.endswith("/") and server.url == server.origin + "/"
    assert server.external_origin != server.origin


def test_head_matches_get_and_unknown_is_404(server):
    _, get_headers, body = fetch(server.origin + "/product/copper-kettle")
    status, head_headers, head_body = fetch(server.origin + "/product/copper-kettle", "HEAD")
    assert status == 200 and head_body == b""
    assert head_headers["Content-Length"] == get_headers["Content-Length"] == str(len(body))
    status, headers, body = fetch(server.origin + "/stores/locator")
    assert status == 404 and headers["Content-Type"].startswith("text/html") and b"<html" in body
    assert fetch(server.origin + "/404")[0] == 404
    assert fetch(server.origin + "/contact", "POST")[0] == 405
    assert fetch(server.origin + "/basket/add", "POST")[0] == 403  # no CSRF token


def test_the_basket_is_a_cookie_session_and_orders_are_counted(server):
    import httpx

    with httpx.Client() as shopper, httpx.Client() as other:
        form = {"product_id": "HH-1002", "csrfmiddlewaretoken": "d3m0T0k3n-HH-1002-7f2c9a", "quantity": "1"}
        assert shopper.post(server.origin + "/basket/add", data=form).status_code == 303
        assert "Damascus" in shopper.get(server.origin + "/basket/").text
        assert "Damascus" not in other.get(server.origin + "/basket/").text  # another cookie jar
        checkout = shopper.get(server.origin + "/checkout/")
        assert checkout.status_code == 200 and 'action="/checkout/place-order"' in checkout.text
        before = server.orders
        shopper.post(server.origin + "/checkout/place-order", data={"email": "a@b.example"})
        assert server.orders == before + 1


def test_planted_broken_flows_fail(server):
    import httpx

    from storeaudit.demo.server import BROKEN_ADD_SKU, BROKEN_CHECKOUT_SKU, csrf_token

    with httpx.Client() as shopper:
        add = {"product_id": BROKEN_ADD_SKU, "csrfmiddlewaretoken": csrf_token(BROKEN_ADD_SKU), "quantity": "1"}
        assert shopper.post(server.origin + "/basket/add", data=add).status_code == 500
        add = {"product_id": BROKEN_CHECKOUT_SKU, "csrfmiddlewaretoken": csrf_token(BROKEN_CHECKOUT_SKU)}
        assert shopper.post(server.origin + "/basket/add", data=add).status_code == 303
        assert shopper.get(server.origin + "/checkout/").status_code == 500


def test_size_guide_refuses_head_but_serves_get(server):
    status, headers, _ = fetch(server.origin + "/downloads/size-guide.pdf", "HEAD")
    assert status == 405 and headers["Allow"] == "GET"
    status, headers, body = fetch(server.origin + "/downloads/size-guide.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")


def test_popular_mug_rate_limits_first_request_only(server):
    status, headers, _ = fetch(server.origin + "/product/popular-mug")
    assert status == 429 and headers["Retry-After"] == "1"
    assert fetch(server.origin + "/product/popular-mug")[0] == 200
    assert fetch(server.origin + "/product/popular-mug", "HEAD")[0] == 200
    assert server.count("/product/popular-mug") == 3
    assert server.count("/product/popular-mug", "HEAD") == 1


def test_redirects(server):
    status, headers, _ = fetch(server.origin + "/loop-a", follow=False)
    assert status == 302 and urlsplit(headers["Location"]).path == "/loop-b"
    status, headers, _ = fetch(server.origin + "/loop-b", follow=False)
    assert status == 302 and urlsplit(headers["Location"]).path == "/loop-a"
    url, hops = server.origin + "/hop/1", 0
    while True:
        status, headers, _ = fetch(url, follow=False)
        if status != 301:
            break
        url, hops = urljoin(url, headers["Location"]), hops + 1
    assert (hops, status, urlsplit(url).path) == (7, 200, "/sale/")
    status, headers, _ = fetch(server.origin + "/old-sale", follow=False)
    assert status == 301 and urlsplit(headers["Location"]).path == "/sale/"


def test_planted_images(server):
    status, headers, body = fetch(server.origin + "/img/empty.png")
    assert status == 200 and headers["Content-Type"] == "image/png" and body == b""
    status, headers, body = fetch(server.origin + "/img/placeholder.jpg")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"<html" in body
    status, headers, body = fetch(server.origin + "/img/copper-kettle.jpg")
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and body[:2] == b"\xff\xd8"
    status, headers, body = fetch(server.origin + "/img/logo.png")
    assert status == 200 and headers["Content-Type"] == "image/png" and body[:8] == b"\x89PNG\r\n\x1a\n"
    assert fetch(server.origin + "/img/knife-400.jpg")[0] == 200
    assert fetch(server.origin + "/img/knife-800.jpg")[0] == 404
    assert fetch(server.origin + "/img/bowl-side.jpg")[0] == 404


def test_partner_site(server):
    status, headers, _ = fetch(server.external_origin + "/partner/recipes")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert fetch(server.external_origin + "/partner/gone")[0] == 404
    assert fetch(server.external_origin + "/")[0] == 404
    assert server.external_requests[0] == ("GET", "/partner/recipes")


def test_robots_and_sitemap(server):
    status, _, body = fetch(server.origin + "/robots.txt")
    assert status == 200 and "Disallow: /private/" in body.decode()
    assert f"Sitemap: {server.origin}/sitemap.xml" in body.decode()
    status, headers, body = fetch(server.origin + "/sitemap.xml")
    assert status == 200 and headers["Content-Type"] == "application/xml"
    assert f"<loc>{server.origin}/product/hidden-gem</loc>" in body.decode()


def test_ground_truth_pages_answer_200(server):
    pages = {d["page"] for d in GROUND_TRUTH["defects"] if d["page"]} | set(GROUND_TRUTH["pages"])
    for page in sorted(pages - {"/product/popular-mug"}):
        status, headers, _ = fetch(server.origin + page)
        assert (page, status) == (page, 200)
        assert headers["Content-Type"] == "text/html; charset=utf-8"


def test_ground_truth_entries_are_unique_and_well_formed():
    ids = [d["id"] for d in GROUND_TRUTH["defects"] + GROUND_TRUTH["non_defects"]]
    assert len(ids) == len(set(ids))
    from checks import REGISTRY
    from config import load_config
    from storeaudit.demo import DEMO_CONFIG

    teams = load_config(DEMO_CONFIG)["report.teams"]
    for d in GROUND_TRUTH["defects"]:
        assert d["code"] in REGISTRY and d["category"] == REGISTRY[d["code"]].category and d["team"] in teams
        assert (d["page"] is None) == d["template"]
        # findings about a page's own text have no target; they name their page
        assert d["target"].startswith(("/", "__EXTERNAL__/")) or (d["target"] == "" and d["page"])


class _Links(HTMLParser):
    """Collect every URL a crawler could follow or load from a page."""

    def __init__(self):
        super().__init__()
        self.urls: set[str] = set()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        for name in ("href", "src", "data-src"):
            if a.get(name) and tag in ("a", "link", "img", "script", "iframe", "source"):
                self.urls.add(a[name])
        if a.get("srcset"):
            self.urls.update(part.split()[0] for part in a["srcset"].split(","))
        if tag == "meta" and a.get("property") == "og:image":
            self.urls.add(a["content"])


def _parse(body: bytes) -> _Links:
    parser = _Links()
    parser.feed(body.decode("utf-8"))
    return parser


def test_every_url_on_every_page_works_unless_planted(server):
    """No accidental defects: every URL on every page is fine unless ground_truth.json plants it."""
    ext = server.external_origin
    defect_targets = {d["target"].replace("__EXTERNAL__", ext) for d in GROUND_TRUTH["defects"]}
    skip = defect_targets | {"/private/report"}  # robots-disallowed: never request it
    fetch(server.origin + "/product/popular-mug")  # use up the planted 429
    found: dict[str, set[str]] = {}  # absolute URL -> pages it appears on
    ids: dict[str, set[str]] = {}
    for page in GROUND_TRUTH["pages"]:
        status, _, body = fetch(server.origin + page)
        assert status == 200, page
        links = _parse(body)
        ids[server.origin + page] = links.ids
        for u in links.urls:
            found.setdefault(urljoin(server.origin + page, u), set()).add(page)
    short = {url: url[len(server.origin):] if url.startswith(server.origin + "/") else url for url in found}
    for d in GROUND_TRUTH["defects"]:  # every planted defect is really on its page
        if not d["target"]:  # a defect of the page's text: tests/test_demo_audit.py finds it
            assert d["page"] in GROUND_TRUTH["pages"], d["id"]
            continue
        target = d["target"].replace("__EXTERNAL__", ext)
        on = {p for url, pages in found.items() if short[url] == target for p in pages}
        assert on == set(GROUND_TRUTH["pages"]) if d["page"] is None else d["page"] in on, d["id"]
    for url, pages in sorted(found.items()):
        if short[url] in skip or url.startswith(("mailto:", "tel:", "javascript:")):
            continue
        assert url.startswith((server.origin + "/", ext + "/")), (url, pages)
        base, frag = urldefrag(url)
        status, headers, body = fetch(base)
        assert status == 200, (url, pages, status)
        if frag:
            assert frag in (ids.get(base) or _parse(body).ids), (url, pages)
    assert server.count("/private/report") == 0 and server.count(SLOW) == 0
    linking = {p for u, pages in found.items() if urlsplit(u).path == "/product/hidden-gem" for p in pages}
    assert linking == {"/product/hidden-gem"}  # sitemap-only: only its own canonical/#reviews point at it


def test_routes_have_expected_paths():
    assert {f"/hop/{n}" for n in range(1, 8)} <= ROUTES.keys()
    assert SLOW in ROUTES
