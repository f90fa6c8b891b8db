"""The page reader finds every referenced URL, says where it sits, and skips non-web links."""

from __future__ import annotations

from crawler.extract import parse_page, srcset_urls

PAGE = b"""<!doctype html><html lang="en-GB"><head><title> Copper  kettle </title>
<link rel="stylesheet" href="/a.css"><link rel="canonical" href="https://shop.test/p">
<meta property="og:image" content="/og.jpg"><script src="/app.js"></script></head>
<body><header><img src="/logo.png" alt="Logo"><nav><a href="/kitchen">Kitchen</a></nav></header>
<main><h1 id="top-title">Kettle</h1>
<a href="/x?b=2&amp;a=1#specs">Specs</a> <a href="mailto:a@b.test">Mail</a> <a href="tel:+1">Call</a>
<a href="javascript:void(0)">JS</a> <a href="data:text/plain,hi">data</a>
<img src="/k.jpg" srcset="/k-400.jpg 400w, /k-800.jpg 800w" alt="Kettle">
<picture><source srcset="/k.webp 1x, /k@2x.webp 2x"><img src="/k2.jpg" alt="Side"></picture>
<img data-src="/lazy.jpg" alt="">
<article><footer><a href="/share">Share</a></footer></article>
<iframe src="https://video.test/embed/1" title="Video"></iframe>
<a href="/"><img src="/home.png" alt="Home"></a>
</main><footer><a href="/stores">Find a store</a></footer>
<div class="site-footer"><a href="/legal">Legal</a></div></body></html>"""


def refs():
    page = parse_page("https://shop.test/product/kettle", PAGE)
    return page, {(r.url, r.kind): r for r in page.refs}


def test_title_lang_and_ids():
    page, _ = refs()
    assert page.title == "Copper kettle"
    assert page.lang == "en-gb"
    assert "top-title" in page.ids


def test_every_kind_of_reference_is_collected():
    _, found = refs()
    kinds = {k for _, k in found}
    assert kinds == {"a", "img", "srcset", "source", "data-src", "stylesheet", "script", "iframe",
                     "canonical", "og:image"}
    assert ("https://shop.test/k-800.jpg", "srcset") in found
    assert ("https://shop.test/k@2x.webp", "source") in found
    assert ("https://shop.test/og.jpg", "og:image") in found


def test_non_web_links_are_skipped():
    _, found = refs()
    assert not [u for u, _ in found if not u.startswith(("http://", "https://"))]


def test_query_is_canonical_and_fragment_kept_apart():
    _, found = refs()
    ref = found[("https://shop.test/x?a=1&b=2", "a")]
    assert ref.fragment == "specs"
    assert ref.text == "Specs"


def test_regions():
    _, found = refs()
    assert found[("https://shop.test/kitchen", "a")].region == "nav"
    assert found[("https://shop.test/logo.png", "img")].region == "header"
    assert found[("https://shop.test/stores", "a")].region == "footer"
    assert found[("https://shop.test/legal", "a")].region == "footer"  # class hint
    assert found[("https://shop.test/share", "a")].region == "main"  # an article's own footer
    assert found[("https://shop.test/k.jpg", "img")].region == "main"
    assert found[("https://shop.test/a.css", "stylesheet")].region == "head"


def test_image_links_take_their_alt_as_text():
    _, found = refs()
    assert found[("https://shop.test/", "a")].text == "Home"


def test_malformed_and_empty_pages_never_raise():
    assert parse_page("https://shop.test/", b"").refs == []
    assert parse_page("https://shop.test/", b"\x00\xff\xfe<<<a href=").refs == []
    deep = b"<div>" * 200 + b"<a href='/deep'>x</a>"  # unclosed and deep
    assert [r.url for r in parse_page("https://shop.test/", deep).refs] == ["https://shop.test/deep"]


def test_links_no_url_parser_takes_are_skipped_and_the_page_is_read():
    body = (b"<a href='http://shop.test:;^=/x'>bad port</a><a href='//shop.test:80a/y'>bad port</a>"
            b"<img src='http://[zz]/i.png'><a href='/ok'>ok</a>")
    assert [r.url for r in parse_page("https://shop.test/", body).refs] == ["https://shop.test/ok"]


def test_srcset_parsing():
    assert srcset_urls("a.jpg 1x, b.jpg 2x") == ["a.jpg", "b.jpg"]
    assert srcset_urls("/img/a,b.jpg 400w, /c.jpg 800w") == ["/img/a,b.jpg", "/c.jpg"]
    assert srcset_urls("data:image/png;base64,xx 1x") == []


def test_a_product_page_add_to_basket_form_is_recorded_and_a_listing_is_not():
    from crawler.extract import parse_page

    form = ('<form method="post" action="/cart/add" class="product-form"><input type="hidden" name="id" value="{id}">'
            '<input type="hidden" name="csrf" value="t0k"><input name="quantity" value="1"><button>Add to cart</button></form>')
    product = parse_page("http://s.test/p/kettle", f"<html><body><main>{form.format(id=7)}{form.format(id=7)}"
                         '<span class="stock">In stock</span></main></body></html>'.encode())
    assert [(f.action, f.method, f.button) for f in product.forms] == [("http://s.test/cart/add", "POST", "Add to cart")]
    assert ("csrf", "hidden", "t0k") in product.forms[0].fields and product.template and product.in_stock
    listing = parse_page("http://s.test/c/kitchen", f"<html><body>{form.format(id=7)}{form.format(id=8)}</body></html>".encode())
    assert listing.forms == []
    search = parse_page("http://s.test/", b'<html><body><form action="/search"><input name="q"><button>Go</button></form></body></html>')
    assert search.forms == []
    sold_out = parse_page("http://s.test/p/mug", f'<html><body>{form.format(id=9)}<p class="stock">Sold out</p></body></html>'.encode())
    assert sold_out.forms and not sold_out.in_stock


def test_a_page_is_out_of_stock_when_its_main_content_says_so_in_any_language():
    markers = ["Out of stock", "out  of\nstock", "Sold out", "Currently unavailable", "Ausverkauft", "Épuisé",
               "Agotado", "Esaurito", "品切れ", "품절"]
    for marker in markers:
        page = parse_page("http://s.test/p/mug", f"<html><head><meta charset=utf-8></head><body><main><h1>Mug</h1>"
                          f"<span>{marker}</span></main></body></html>".encode())
        assert page.availability == "out-of-stock", marker
    in_stock = parse_page("http://s.test/p/mug", b'<html><body><main><span>In stock</span></main>'
                          b'<footer><span>Sold out</span></footer></body></html>')
    assert in_stock.availability == "", "a marker in the footer is not the product's"


def test_links_in_a_promotion_banner_are_found_whatever_the_banner_is_called():
    hints = ["promo", "promos", "promotion", "promotions", "banner", "hero", "sale", "offer", "offers", "deal",
             "deals", "campaign"]
    for hint in hints:
        for attribute in (f'class="home-{hint}"', f'id="{hint.upper()}_top"'):
            page = parse_page("http://s.test/", f'<html><body><div {attribute}><a href="/summer">Summer</a></div>'
                              f'<div class="product"><a href="/p/mug">Mug</a></div></body></html>'.encode())
            assert page.promo_links == ["http://s.test/summer"], attribute
    plain = parse_page("http://s.test/", b'<html><body><div class="wholesale-info"><a href="/trade">Trade</a></div>'
                       b'</body></html>')
    assert plain.promo_links == [], "a word that only contains a hint is not one"


def test_a_page_comes_back_from_a_page_worker_as_it_was_sent():
    """Workers pickle a page's references as plain tuples (crawler/page_work.py): the page
    that arrives has every reference, with every field, as Reference objects again."""
    import pickle

    from crawler.extract import Reference

    page = parse_page("https://shop.test/product/kettle", PAGE)
    page.root = None  # a worker drops the tree, and what checks derived from it, before it sends the page
    page.derived.clear()
    page.refs[0].raw = "https://shop.test/a.css?utm_source=mail"  # as canonical_refs keeps it
    back = pickle.loads(pickle.dumps(page))
    assert back == page
    assert all(type(ref) is Reference for ref in back.refs)
    assert back.refs[0].raw == "https://shop.test/a.css?utm_source=mail"
