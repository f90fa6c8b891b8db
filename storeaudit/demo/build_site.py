"""Generate the static files of the demo store ("Hearth & Home").

Run once after editing:  python -m storeaudit.demo.build_site

Writes ``site/`` (store pages, assets, images, robots.txt, sitemap.xml, the PDF)
and ``external/`` (the partner site).  The generated files are committed; the
server never runs this script.  Standard library only: images are encoded here
(PNG via zlib, baseline JPEG via a tiny flat-block encoder).

Planted defects / non-defects are marked ``# DEFECT n`` / ``# NON-DEFECT x``;
the numbering matches ``ground_truth.json``.
"""

from __future__ import annotations

import html
import re
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"
EXTERNAL = HERE / "external"

# Images referenced by pages that must NOT exist as files (planted defects or
# served by special routes in server.py instead).
NOT_A_FILE = {
    "/img/bowl-side.jpg",  # DEFECT 8: missing image
    "/img/knife-800.jpg",  # DEFECT 12: missing srcset candidate
    "/img/placeholder.jpg",  # DEFECT 10: route serves HTML
    "/img/empty.png",  # DEFECT 11: route serves an empty body
}

e = html.escape

# --------------------------------------------------------------------------
# Image encoders (standard library only)
# --------------------------------------------------------------------------


def png_bytes(width: int, height: int, pixel) -> bytes:
    """Encode an RGB PNG; ``pixel(x, y)`` returns (r, g, b)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter: none
        for x in range(width):
            raw.extend(pixel(x, y))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")


def jpeg_bytes(width: int, height: int, block_colour) -> bytes:
    """Encode a baseline JPEG made of flat 8x8 blocks; ``block_colour(bx, by)`` -> (r, g, b).

    Only DC coefficients are coded (every AC run is an immediate EOB), which is
    a perfectly valid baseline JPEG that any decoder reads.
    """

    def seg(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    out = bytearray(b"\xff\xd8")
    out += seg(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    out += seg(0xDB, b"\x00" + bytes([8] * 64))  # quant table 0: all 8 -> DC == value - 128
    out += seg(0xC0, struct.pack(">BHHB", 8, height, width, 3) + bytes([1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]))
    out += seg(0xC4, b"\x00" + bytes([0, 0, 0, 12] + [0] * 12) + bytes(range(12)))  # DC: 12 codes of 4 bits
    out += seg(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")  # AC: only EOB, code "0"
    out += seg(0xDA, bytes([3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]))

    bits: list[int] = []

    def put(value: int, length: int) -> None:
        for i in range(length - 1, -1, -1):
            bits.append((value >> i) & 1)

    pred = [0, 0, 0]
    for by in range((height + 7) // 8):
        for bx in range((width + 7) // 8):
            r, g, b = block_colour(bx, by)
            ycc = (
                0.299 * r + 0.587 * g + 0.114 * b,
                128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
                128 + 0.5 * r - 0.418688 * g - 0.081312 * b,
            )
            for c in range(3):
                dc = max(0, min(255, round(ycc[c]))) - 128
                diff = dc - pred[c]
                pred[c] = dc
                cat = abs(diff).bit_length()
                put(cat, 4)
                if cat:
                    put(diff if diff > 0 else diff + (1 << cat) - 1, cat)
                put(0, 1)  # EOB
    while len(bits) % 8:
        bits.append(1)
    for i in range(0, len(bits), 8):
        byte = int("".join(map(str, bits[i : i + 8])), 2)
        out.append(byte)
        if byte == 0xFF:
            out.append(0)
    out += b"\xff\xd9"
    return bytes(out)


def pdf_bytes(lines: list[str]) -> bytes:
    """A small valid one-page PDF with a few lines of Helvetica text."""
    text = "BT /F1 14 Tf 72 760 Td 18 TL " + " ".join(
        "(" + ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for ln in lines
    ) + " ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text.encode("latin-1") + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def _hex(c: str) -> tuple[int, int, int]:
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


def gradient_jpeg(c1: str, c2: str, width: int = 64, height: int = 48) -> bytes:
    a, b = _hex(c1), _hex(c2)
    nx, ny = (width + 7) // 8, (height + 7) // 8

    def colour(bx: int, by: int):
        t = (bx + by) / max(1, nx + ny - 2)
        return tuple(round(a[i] + (b[i] - a[i]) * t) for i in range(3))

    return jpeg_bytes(width, height, colour)


# --------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------

PRODUCTS = {
    "copper-kettle": dict(
        name="Copper Stovetop Kettle", price="£64.00", sku="HH-1001", cat="kitchen", colours=("#b87333", "#f4d9b0"),
        blurb="A 1.6 litre whistling kettle in hammered copper with a brass handle that stays cool. "
        "It works on gas, electric and ceramic hobs and comes to the boil in about six minutes.",
        details=["Capacity 1.6 litres", "Hammered copper, tin-lined", "Brass handle with beech grip", "Not suitable for induction"],
    ),
    "chef-knife": dict(
        name="Damascus Chef's Knife 20cm", price="£89.00", sku="HH-1002", cat="kitchen", colours=("#5d6770", "#d8dde2"),
        blurb="Sixty-seven layers of folded steel around a VG-10 core, hand-sharpened to 15 degrees. "
        "Balanced at the bolster so it rocks through herbs and glides through squash.",
        details=["Blade 20cm, VG-10 core", "Octagonal walnut handle", "Hand wash only", "Free sharpening for life"],
    ),
    "oak-board": dict(
        name="End-Grain Oak Chopping Board", price="£48.00", sku="HH-1003", cat="kitchen", colours=("#8a6a3f", "#e6cfa3"),
        blurb="Cut from FSC-certified English oak and glued end-grain up, so knife edges slip between the fibres "
        "instead of dulling on them. Finished with food-safe mineral oil and beeswax.",
        details=["40 x 30 x 4 cm", "FSC-certified English oak", "Juice groove on one side", "Oil monthly"],
    ),
    "cast-iron-skillet": dict(
        name="Pre-Seasoned Cast Iron Skillet 26cm", price="£42.00", sku="HH-1004", cat="kitchen", colours=("#2f2f2f", "#8c8c8c"),
        blurb="A heavy skillet that holds its heat for a proper sear and goes straight from hob to oven. "
        "Seasoned three times with flaxseed oil before it leaves the foundry.",
        details=["26cm cooking surface", "Works on every hob including induction", "Oven safe to 260°C", "Made in Shropshire"],
    ),
    "enamel-colander": dict(
        name="Enamel Colander", price="£26.00", sku="HH-1005", cat="kitchen", colours=("#2e6f8e", "#d7ecf5"),
        blurb="A sturdy steel colander with a glossy vitreous enamel coat and a wide footed base. "
        "Big enough for a kilo of pasta and pretty enough to serve fruit from.",
        details=["24cm diameter", "Vitreous enamel on steel", "Dishwasher safe", "Available in harbour blue"],
    ),
    "stoneware-bowl": dict(
        name="Reactive-Glaze Stoneware Bowl", price="£18.00", sku="HH-1006", cat="tableware", colours=("#4f6d5a", "#cfe0c8"),
        blurb="Thrown in a small Stoke-on-Trent pottery and dipped in a reactive glaze, so no two bowls are quite the same. "
        "Deep enough for ramen, wide enough for a generous salad.",
        details=["18cm across, 700ml", "Microwave and dishwasher safe", "Sold individually", "Glaze varies from bowl to bowl"],
    ),
    "linen-napkins": dict(
        # DEFECT 39: a price of zero
        name="Stonewashed Linen Napkins (Set of 4)", price="£0.00", sku="HH-1007", cat="tableware", colours=("#9c8f80", "#efe8de"),
        blurb="Pure European flax linen, stonewashed until it is soft from the very first use. "
        "They get better with every wash and never need ironing.",
        details=["45 x 45 cm each", "100% European linen", "Machine wash at 40°C", "Set of four, oatmeal"],
    ),
    "popular-mug": dict(
        name="Speckled Stoneware Mug", price="£12.00", sku="HH-1008", cat="tableware", colours=("#c9b79c", "#f7f1e7"),
        blurb="Our best-selling mug: a generous 350ml, a speckled oatmeal glaze and a handle that fits three fingers. "
        "It keeps selling out, so we keep making more.",
        details=["350ml", "Speckled oatmeal glaze", "Dishwasher safe", "Made in Stoke-on-Trent"],
    ),
    "hidden-gem": dict(
        name="Olive Wood Salad Servers", price="£22.00", sku="HH-1009", cat="tableware", colours=("#7d6a3a", "#e9dcb2"),
        blurb="Carved from the prunings of working olive groves, each pair has its own swirling grain. "
        "A lovely gift, and a last few pairs from this season's batch.",
        details=["30cm long", "Olive wood from prunings", "Hand wash, oil occasionally", "Each pair unique"],
    ),
    "cork-trivet": dict(
        name="Cork Trivet", price="£14.00", sku="HH-1010", cat="kitchen", colours=("#a0784f", "#ecdcc4"),
        blurb="Coming soon. Size: TBD.",  # DEFECT 15 (placeholder text), DEFECT 16 (thin description)
        details=["Natural cork", "Made in Portugal"],
    ),
    # DEFECT 35: five clicks deep (home > kitchen > page 2 > cork trivet > here); in the sitemap
    "beeswax-wraps": dict(
        name="Beeswax Food Wraps (Set of 3)", price="£16.00", sku="HH-1011", cat="kitchen", colours=("#e8b64c", "#fbf0d2"),
        blurb="Cotton squares coated in beeswax, tree resin and jojoba oil that cling to bowls and wrap cheese or bread. "
        "Wash them in cool water and they last for about a year of daily use.",
        details=["Small, medium and large", "Organic cotton and beeswax", "Wash in cool water", "Compost when worn out"],
    ),
}

KITCHEN_PAGE_1 = ["copper-kettle", "chef-knife", "oak-board", "cast-iron-skillet", "enamel-colander", "stoneware-bowl"]
KITCHEN_PAGE_2 = ["linen-napkins", "cork-trivet"]
TABLEWARE = ["stoneware-bowl", "linen-napkins", "popular-mug"]  # NON-DEFECT d: popular-mug linked from here

BLOG_POSTS = {
    "perfect-pour-over": "How to Make the Perfect Pour-Over",
    "caring-for-cast-iron": "Caring for Cast Iron: A Beginner's Guide",
    "science-of-seasoning": "The Science of Seasoning",
}

# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------


def layout(path: str, title: str, description: str | None, main: str, *, head_extra: str = "", body_class: str = "",
           lang: str = "en") -> str:
    # DEFECT 40: the blog-post template's footer has no link to the returns page
    returns_link = not (path.startswith("/blog/") and path != "/blog/")
    title_tag = f"<title>{e(title)} | Hearth &amp; Home</title>" if title else "<title></title>"
    description_tag = f'<meta name="description" content="{e(description)}">' if description is not None else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  {title_tag}
  {description_tag}
  <link rel="icon" href="/img/favicon.png" type="image/png">
  <link rel="stylesheet" href="/assets/site.css">
{head_extra}  <script src="/assets/site.js" defer></script>
</head>
<body{f' class="{body_class}"' if body_class else ''}>
  <header class="site-header">
    <a class="logo" href="/"><img src="/img/logo.png" alt="Hearth &amp; Home" width="160" height="40"></a>
    <nav aria-label="Main">
      <ul>
        <li><a href="/">Home</a></li>
        <li><a href="/category/kitchen/">Kitchen</a></li>
        <li><a href="/category/tableware/">Tableware</a></li>
        <li><a href="/sale/">Sale</a></li>
        <li><a href="/blog/">Blog</a></li>
        <li><a href="/basket/">Basket</a></li>
      </ul>
    </nav>
  </header>
  <main id="content">
{main}
  </main>
  <footer class="site-footer">
    <ul>
      <li><a href="/about">About</a></li>
      <li><a href="/delivery">Delivery</a></li>
{'      <li><a href="/returns">Returns</a></li>' + chr(10) if returns_link else ''}      <li><a href="/privacy">Privacy</a></li>
      <li><a href="/terms">Terms</a></li>
      <li><a href="/contact">Contact</a></li>
      <li><a href="/stores/locator">Find a store</a></li><!-- DEFECT 2: template-level broken link (404) -->
    </ul>
    <p>&copy; 2026 Hearth &amp; Home</p>
  </footer>
</body>
</html>
"""


def card(slug: str, price: str | None = None) -> str:
    p = PRODUCTS[slug]
    return f"""      <li class="product-card">
        <a href="/product/{slug}"><img src="/img/{slug}.jpg" alt="{e(p['name'])}" width="320" height="240">
        <span class="name">{e(p['name'])}</span></a>
        <span class="price">{price or p['price']}</span>
      </li>"""


def grid(slugs: list[str]) -> str:
    return '    <ul class="product-grid">\n' + "\n".join(card(s) for s in slugs) + "\n    </ul>"


CATEGORY_LABEL = {"kitchen": "Kitchen", "tableware": "Tableware"}


def product_page(slug: str) -> str:
    p = PRODUCTS[slug]
    name = e(p["name"])
    img400 = "/img/knife-400.jpg" if slug == "chef-knife" else f"/img/{slug}-400.jpg"
    img800 = "/img/knife-800.jpg" if slug == "chef-knife" else f"/img/{slug}-800.jpg"  # DEFECT 12 for chef-knife
    extra_gallery = ""
    extra_copy = ""
    if slug == "stoneware-bowl":
        extra_gallery = f'        <img src="/img/bowl-side.jpg" alt="Stoneware bowl from the side" width="320" height="240">\n'  # DEFECT 8
    if slug == "oak-board":
        extra_gallery = '        <img src="/img/placeholder.jpg" alt="Oak board" width="320" height="240">\n'  # DEFECT 10
    if slug == "linen-napkins":
        extra_gallery = '        <img src="/img/empty.png" alt="Linen napkins" width="320" height="240">\n'  # DEFECT 11
    if slug == "copper-kettle":
        extra_copy = """      <p>Complete the set with the <a href="/product/discontinued-teapot">Matching teapot</a> in the same hammered copper.</p>
      <p>Need it by the weekend? <a href="/delivery#express-shipping">see our delivery options</a>.
      Changed your mind? You have 30 days &ndash; check the <a href="/delivery#returns-window">returns window</a>.</p>
"""  # DEFECT 1 (discontinued-teapot), DEFECT 7 (#express-shipping), NON-DEFECT f (#returns-window)
    if slug == "cork-trivet":
        extra_gallery = '        <img src="/img/cork-trivet-back.jpg" width="320" height="240">\n'  # DEFECT 18: no alt
    if slug == "cork-trivet":  # the only link to the deep beeswax wraps (DEFECT 35)
        extra_copy = """      <p>Keep food fresh on the worktop with our <a href="/product/beeswax-wraps">beeswax wraps</a>.</p>
"""
    if slug == "hidden-gem":
        extra_copy = """      <p>Olive wood lasts for decades if you look after it: read our <a href="/care-guide">care instructions</a>.</p>
"""  # DEFECT 14: sitemap-only page with a broken link
    related = [s for s in (KITCHEN_PAGE_1 + KITCHEN_PAGE_2 if p["cat"] == "kitchen" else TABLEWARE) if s not in (slug, "popular-mug")][:3]
    related_html = "\n".join(f'        <li><a href="/product/{s}">{e(PRODUCTS[s]["name"])}</a></li>' for s in related)
    details = "\n".join(f"          <li>{e(d)}</li>" for d in p["details"])
    price = "£NaN" if slug == "cork-trivet" else p["price"]  # DEFECT 17: price the template could not compute
    structured_price = "16.00" if slug == "stoneware-bowl" else p["price"][1:]  # DEFECT 38: £18.00 shown, 16.00 in the data
    stock = '<span class="stock">In stock</span>'
    if slug == "enamel-colander":  # out of stock, yet promoted on /sale/ (DEFECT 24)
        stock = '<meta itemprop="availability" content="https://schema.org/OutOfStock"><span class="stock">Out of stock</span>'
    if slug == "cast-iron-skillet":  # DEFECT 21: structured-data offer that ended
        head_data = """  <script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product", "name": "Pre-Seasoned Cast Iron Skillet 26cm",
   "offers": {"@type": "Offer", "price": "33.60", "priceCurrency": "GBP", "priceValidUntil": "2025-01-31"}}</script>
"""
    else:
        head_data = ""
    main = f"""    <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/">Home</a> &rsaquo; <a href="/category/{p['cat']}/">{CATEGORY_LABEL[p['cat']]}</a> &rsaquo; {name}</nav>
    <article class="product" itemscope itemtype="https://schema.org/Product">
      <h1 itemprop="name">{name}</h1>
      <div class="gallery">
        <img src="/img/{slug}.jpg" alt="{name}" width="640" height="480" itemprop="image">
        <img srcset="{img400} 400w, {img800} 800w" sizes="(max-width: 600px) 400px, 800px" src="{img400}" alt="{name}, close-up" width="400" height="300">
        <picture>
          <source srcset="/img/{slug}-800.jpg" media="(min-width: 900px)">
          <img src="/img/{slug}-400.jpg" alt="{name} in use" width="400" height="300">
        </picture>
        <img class="lazy" data-src="/img/{slug}-detail.jpg" alt="{name}, detail" width="320" height="240" loading="lazy">
{extra_gallery}      </div>
      <p class="price" itemprop="offers" itemscope itemtype="https://schema.org/Offer"><span itemprop="price" content="{structured_price}">{price}</span> <meta itemprop="priceCurrency" content="GBP"> {stock}</p>
      <p itemprop="description">{e(p['blurb'])}</p>
{extra_copy}      <ul class="details">
{details}
      </ul>
      <form method="post" action="/basket/add" class="add-to-basket">
        <input type="hidden" name="product_id" value="{p['sku']}">
        <input type="hidden" name="csrfmiddlewaretoken" value="d3m0T0k3n-{p['sku']}-7f2c9a">
        <label>Quantity <input type="number" name="quantity" value="1" min="1" max="10"></label>
        <button type="submit">Add to basket</button>
      </form>
      <p><a href="/downloads/size-guide.pdf">Size guide (PDF)</a> &middot; <a href="#reviews">Read the reviews</a></p>
    </article>
    <section id="reviews">
      <h2>Reviews</h2>
      <blockquote><p>&ldquo;Exactly as described and beautifully packed. Arrived two days after ordering.&rdquo;</p><footer>Helen, Bristol</footer></blockquote>
      <blockquote><p>&ldquo;Lovely quality &ndash; I have already ordered a second as a present.&rdquo;</p><footer>Tom, Leeds</footer></blockquote>
    </section>
    <section class="related">
      <h2>You might also like</h2>
      <ul>
{related_html}
      </ul>
    </section>"""
    head = (
        f'  <link rel="canonical" href="__ORIGIN__/product/{slug}">\n'
        f'  <meta property="og:title" content="{name}">\n'
        f'  <meta property="og:image" content="__ORIGIN__/img/{slug}.jpg">\n'
    )
    if slug == "cork-trivet":  # DEFECT 19 (no title), DEFECT 20 (no meta description)
        return layout(f"/product/{slug}", "", None, main, head_extra=head, body_class="product-page")
    return layout(f"/product/{slug}", p["name"], f"{p['name']} from Hearth & Home: {p['blurb'].split('. ')[0]}.", main,
                  head_extra=head + head_data, body_class="product-page")


def pages() -> dict[str, str]:
    """Return {relative file path: html} for every store page."""
    out: dict[str, str] = {}

    out["index.html"] = layout(
        "/",
        "Kitchenware & Tableware for Everyday Cooking",
        "Hearth & Home sells kitchenware and tableware made to last: copper kettles, cast iron, stoneware and linen.",
        f"""    <section class="hero">
      <img src="/img/slow-banner.jpg" alt="Winter sale" width="1200" height="400"><!-- DEFECT 9: times out -->
      <h1>The Winter Sale is on</h1>
      <p>Up to 30% off cast iron, copper and stoneware until the end of January. <a href="/sale/">Shop the sale</a></p>
      <p>Set the table: <a href="/category/tableware/?utm_medium=banner&amp;utm_source=homepage">new tableware</a>.</p><!-- DEFECT 36: tracking parameters in an internal link -->
      <p>Missed it last time? <a href="/old-sale">Last season's sale</a> has moved to our sale page.</p><!-- NON-DEFECT a: 301 -> /sale/ -->
      <p>Free engraving on every chef's knife: offer ends 31 December 2026.</p><!-- NON-DEFECT g: a future date -->
    </section>
    <section>
      <h2>Featured this week</h2>
{grid(["copper-kettle", "chef-knife", "stoneware-bowl", "oak-board"])}
      <p><a href="/category/kitchen/">Browse all kitchenware</a> or <a href="/category/tableware/">see the tableware</a>.
      New: <a href="/category/outdoor/">outdoor cooking</a>.</p>
    </section>
    <section>
      <h2>From the blog</h2>
      <ul>
        <li><a href="/blog/perfect-pour-over">{BLOG_POSTS['perfect-pour-over']}</a></li>
        <li><a href="/blog/caring-for-cast-iron">{e(BLOG_POSTS['caring-for-cast-iron'])}</a></li>
      </ul>
      <p><a href="/blog/">Read more on the blog</a></p>
    </section>""",
        body_class="home",
    )

    out["category/kitchen/index.html"] = layout(
        "/category/kitchen/",
        "Kitchen",
        "Kettles, knives, boards and cast iron chosen to last a lifetime of cooking.",
        f"""    <h1>Kitchen</h1>
    <p>Tools we use in our own kitchens every day: honest materials, no gimmicks and spare parts for years to come.</p>
{grid(KITCHEN_PAGE_1)}
    <nav class="pagination" aria-label="Pages"><span aria-current="page">1</span> <a href="/category/kitchen/page/2/">2</a> <a href="/category/kitchen/page/2/" rel="next">Next &rsaquo;</a></nav>""",
    )
    out["category/kitchen/page/2/index.html"] = layout(
        "/category/kitchen/page/2/",
        "Kitchen",  # DEFECT 22: same title as page 1
        "Kettles, knives, boards and cast iron chosen to last a lifetime of cooking.",  # DEFECT 23: same description
        f"""    <h1>Kitchen <small>page 2</small></h1>
    <p>Finishing touches for the kitchen table.</p>
{grid(KITCHEN_PAGE_2)}
    <nav class="pagination" aria-label="Pages"><a href="/category/kitchen/" rel="prev">&lsaquo; Previous</a> <a href="/category/kitchen/">1</a> <span aria-current="page">2</span></nav>""",
    )
    out["category/tableware/index.html"] = layout(
        "/category/tableware/",
        "Tableware",
        "Stoneware bowls, mugs and linen for a table that feels like home.",
        f"""    <h1>Tableware</h1>
    <p>Handmade stoneware from Staffordshire potteries and soft stonewashed linen. Mix and match &ndash; everything goes with everything.</p>
    <br>
<b>Warning</b>:  Undefined variable $banner in <b>/var/www/hearth/templates/category.php</b> on line <b>42</b><br><!-- DEFECT 25: leaked PHP warning -->
{grid(TABLEWARE)}""",
    )

    for slug in PRODUCTS:
        out[f"product/{slug}.html"] = product_page(slug)

    out["category/outdoor/index.html"] = layout(
        "/category/outdoor/",
        "Outdoor Cooking",
        "Camping kettles, grill pans and enamel mugs for cooking outdoors.",
        """    <h1>Outdoor cooking</h1>
    <p>No products found in this category.</p><!-- DEFECT 31: empty category page -->
    <p>Try the <a href="/category/kitchen/">kitchen</a> instead.</p>""",
    )

    out["sale/index.html"] = layout(
        "/sale/",
        "Winter Sale",
        "Up to 30% off cast iron, copper and stoneware in the Hearth & Home winter sale.",
        f"""    <h1>Winter Sale</h1>
    <p>Our biggest sale of the year, while stocks last. Prices already include the discount.</p>
    <ul class="product-grid">
{card("cast-iron-skillet", "£33.60 <s>£42.00</s>")}
{card("enamel-colander", "£19.50 <s>£26.00</s>")}
{card("copper-kettle", "£51.20 <s>£64.00</s>")}
    </ul>
    <p>Can't decide? <a href="/gift-cards">Gift cards</a> never go out of style.</p><!-- DEFECT 4: 500 -->""",
    )

    blog_extra_head = '  <link rel="stylesheet" href="/assets/missing.css">\n'  # DEFECT 13: broken stylesheet
    out["blog/index.html"] = layout(
        "/blog/",
        "The Hearth & Home Blog",
        "Recipes, care guides and stories from the Hearth & Home kitchen.",
        f"""    <h1>The Hearth &amp; Home Blog</h1>
    <article class="teaser">
      <h2><a href="/blog/perfect-pour-over">{BLOG_POSTS['perfect-pour-over']}</a></h2>
      <p>Good coffee needs three things: fresh beans, the right grind and water just off the boil. Here is how we brew ours.</p>
    </article>
    <article class="teaser">
      <h2><a href="/blog/science-of-seasoning">{e(BLOG_POSTS['science-of-seasoning'])}</a></h2>
      <p>What actually happens to oil in a hot pan, for readers who like the chemistry.</p>
    </article>
    <article class="teaser">
      <h2>Still looking for presents?</h2>
      <p>Our Black Friday 2024 gift guide has ideas for every cook.</p><!-- DEFECT 27: past seasonal campaign -->
    </article>
    <article class="teaser">
      <h2><a href="/blog/caring-for-cast-iron">{e(BLOG_POSTS['caring-for-cast-iron'])}</a></h2>
      <p>Cast iron is nearly indestructible, but a little care keeps it non-stick for generations.</p>
    </article>
    <p class="staff-only"><a href="/private/report">Internal report</a></p><!-- NON-DEFECT b: robots-disallowed -->""",
        head_extra=blog_extra_head,
    )
    out["blog/perfect-pour-over.html"] = layout(
        "/blog/perfect-pour-over",
        BLOG_POSTS["perfect-pour-over"],
        "A step-by-step guide to brewing pour-over coffee at home with a gooseneck kettle.",
        """    <article>
      <h1>How to Make the Perfect Pour-Over</h1>
      <p class="byline">By Priya, 12 January 2026</p>
      <img src="/img/blog-pour-over.jpg" alt="Coffee dripping through a paper filter" width="800" height="450">
      <p>Start with 15 grams of freshly ground coffee &ndash; about the coarseness of sea salt &ndash; and 250ml of water heated to around 94&deg;C.
      A kettle left to rest for thirty seconds after boiling is just right; our <a href="/product/copper-kettle">Copper Stovetop Kettle</a> makes it easy.</p>
      <p>Rinse the paper filter, add the grounds and pour just enough water to wet them. Wait thirty seconds for the bloom, then pour slowly in circles.</p>
      <p>For something to go with it, try <a href="__EXTERNAL__/partner/recipes">our partner's breakfast recipes</a>
      or browse <a href="__EXTERNAL__/partner/gone">our favourite recipes</a>.</p><!-- DEFECT 3: external 404 (the first link works) -->
    </article>""",
    )
    out["blog/caring-for-cast-iron.html"] = layout(
        "/blog/caring-for-cast-iron",
        BLOG_POSTS["caring-for-cast-iron"],
        "How to clean, season and store a cast iron skillet so it lasts for generations.",
        """    <article>
      <h1>Caring for Cast Iron: A Beginner's Guide</h1>
      <p class="byline">By Sam, 3 December 2025</p>
      <img src="/img/blog-cast-iron.jpg" alt="A cast iron skillet on a gas hob" width="800" height="450">
      <p>Wash your pan while it is still warm with hot water and a stiff brush. A drop of washing-up liquid will not hurt the seasoning, whatever you may have heard.</p>
      <p>Dry it straight away on a low heat, then rub in a few drops of oil with kitchen paper. That is all our <a href="/product/cast-iron-skillet">Pre-Seasoned Cast Iron Skillet</a> needs.</p>
      <p>Rust spots? Scrub them off, re-oil and bake upside down at 230&deg;C for an hour.</p>
      <p>Our seasoning kit is half price: offer ends 31 August 2025.</p><!-- DEFECT 26: expired offer -->
    </article>""",
        head_extra='  <meta property="article:modified_time" content="2024-06-01T09:00:00Z">\n',  # DEFECT 28 (with the sitemap lastmod)
    )

    out["blog/science-of-seasoning.html"] = layout(
        "/blog/science-of-seasoning",
        BLOG_POSTS["science-of-seasoning"],
        "What happens to oil on hot cast iron, explained for the curious cook.",
        """    <article>
      <h1>The Science of Seasoning</h1>
      <p class="byline">By Sam, 2 February 2026</p>
      <p>Notwithstanding the considerable heterogeneity characterising contemporary manufacturing methodologies, the thermodynamic performance of cast-iron vessels is fundamentally determined by the interrelationship between metallurgical composition, surface topography, and the comparatively idiosyncratic operational preferences exhibited by domestic practitioners.</p><!-- DEFECT 29 (hard text), DEFECT 30 (a 40-word sentence) -->
      <p>Consequently, prospective purchasers contemplating substantial investments in premium culinary instrumentation should systematically evaluate conductivity characteristics, dimensional tolerances, and the anticipated longevity of polymerised seasoning layers, particularly where intensive utilisation under fluctuating temperature regimes is reasonably foreseeable.</p>
      <p>Polymerisation of unsaturated triglycerides proceeds through oxidative cross-linking initiated by thermally generated free radicals, producing a hydrophobic, comparatively durable macromolecular network adhering tenaciously to the microscopically irregular ferrous substrate.</p>
    </article>""",
    )

    out["basket/index.html"] = layout(
        "/basket/",
        "Your Basket",
        "Review the items in your Hearth & Home basket.",
        """    <h1>Your basket</h1>
    <p>Your basket is empty. Why not start with our <a href="/category/kitchen/">kitchen essentials</a>?</p>
    <p>Free UK delivery on orders over &pound;50. <a href="/checkout/">Go to checkout</a></p>""",
    )
    out["checkout/index.html"] = layout(
        "/checkout/",
        "Checkout",
        "Secure checkout at Hearth & Home.",
        """    <h1>Checkout</h1>
    <p>Add something to your basket before checking out. <a href="/basket/">Back to basket</a></p>
    <form method="post" action="/checkout/" class="checkout">
      <input type="hidden" name="csrfmiddlewaretoken" value="d3m0T0k3n-checkout-7f2c9a">
      <label>Email <input type="email" name="email" autocomplete="email" required></label>
      <label>Postcode <input type="text" name="postcode" autocomplete="postal-code" required></label>
      <button type="submit">Continue to payment</button>
    </form>""",
    )

    out["about.html"] = layout(
        "/about",
        "About Us",
        "Hearth & Home is an independent kitchenware shop founded in Bath in 2011.",
        """    <h1>About Hearth &amp; Home</h1>
    <p>We started in 2011 as a market stall in Bath selling second-hand cast iron. Today we work with twenty makers across Britain and Europe,
    but we still test every product in our own kitchens before it goes on sale.</p>
    <img src="/img/divider.jpg" alt="" width="600" height="8"><!-- NON-DEFECT h: decorative image, empty alt -->
    <p>Read this page <a href="/ko/" hreflang="ko">in Korean (한국어)</a>.</p>
    <ul>
      <li><a href="/loop-a">Our story</a></li><!-- DEFECT 5: redirect loop -->
      <li><a href="/hop/1">Press</a></li><!-- DEFECT 6: 7-hop redirect chain -->
      <li><a href="/contact">Get in touch</a></li>
    </ul>
    <h1>Meet the makers</h1><!-- DEFECT 37: a second h1 -->
    <p>Twenty potters, smiths and weavers make what we sell. Each of them has visited our shop in Bath.</p>""",
    )
    out["delivery.html"] = layout(
        "/delivery",
        "Delivery & Returns Window",
        "Delivery options, costs and our 30-day returns window.",
        """    <h1>Delivery</h1>
    <h2 id="standard-delivery">Standard delivery</h2>
    <p>Royal Mail Tracked 48, usually 2&ndash;3 working days. &pound;3.95, free on orders over &pound;50.</p>
    <h2 id="next-day">Next working day</h2>
    <p>Order by 2pm Monday to Thursday for delivery the next working day by DPD. &pound;6.95.</p>
    <p>Order within {{ countdown.hours }} hours for delivery tomorrow.</p><!-- DEFECT 32: unrendered placeholder -->
    <h2 id="returns-window">Returns window</h2>
    <p>You can return anything unused within 30 days of delivery. See <a href="/returns">returns</a> for how.</p>""",
    )
    out["returns.html"] = layout(
        "/returns",
        "Returns",
        "How to return an item to Hearth & Home within 30 days.",
        """    <h1>Returns</h1>
    <p>Changed your mind? Send anything unused back within 30 days for a full refund. Email us with your order number and we will send a prepaid label.</p>
    <p>Faulty items are covered for two years &ndash; please <a href="/contact">contact us</a> with a photo and we will sort it out.</p>
    <p>Pack the item well. Use the box it came in if you still have it. Put the label on the outside and drop the parcel at any post office.</p>
    <p>We check every return when it reaches us. Most refunds go back to your card within five days. We will email you when it is done.</p>
    <p>Want a different size or colour? Just say so in your email. We will send the new one as soon as the old one is on its way back.</p>""",
    )
    out["privacy.html"] = layout(
        "/privacy",
        "Privacy Policy",
        "How Hearth & Home collects, uses and protects your personal data.",
        """    <h1>Privacy policy</h1>
    <p>We only collect what we need to deliver your order and, if you ask, to send our newsletter. We never sell your data.</p>
    <p>Payments are handled by our payment provider; we never see or store your full card number. You can ask us to delete your data at any time.</p>""",
    )
    out["terms.html"] = layout(
        "/terms",
        "Terms & Conditions",
        "The terms and conditions of sale at Hearth & Home.",
        """    <h1>Terms &amp; conditions</h1>
    <p>These terms apply to every order placed on this website. Prices include VAT at the current rate. A contract is formed when we email to confirm dispatch.</p>
    <p>Nothing in these terms affects your statutory rights under the Consumer Rights Act 2015.</p>
    <p>Notwithstanding any provision to the contrary herein, the liability of the Seller in respect of any consequential, incidental or indirect loss, howsoever arising and whether in contract, tort (including negligence), breach of statutory duty or otherwise, shall be limited to the aggregate purchase price actually paid by the Customer for the Goods giving rise to the claim, save where such limitation is prohibited by applicable legislation.</p>
    <p>The Customer acknowledges that any specifications, illustrations, descriptive matter or representations contained in the Seller's catalogues, brochures or website are provided for the sole purpose of giving an approximate indication of the Goods and shall not form part of the Contract or constitute a representation, warranty or condition whatsoever.</p>""",
    )
    out["ko/index.html"] = layout(
        "/ko/",
        "하스 앤 홈 소개",
        "하스 앤 홈은 영국 바스에 있는 작은 주방용품 가게입니다.",
        """    <h1>하스 앤 홈 소개</h1>
    <p>우리는 영국 바스에 있는 작은 가게입니다. 2011년에 시장에서 시작했습니다. 지금은 좋은 주방용품을 팝니다.</p>
    <p>모든 제품은 우리 부엌에서 먼저 써 봅니다. 오래 쓸 수 있는 물건만 고릅니다. 궁금한 점은 이메일로 물어보세요.</p>
    <p>주문은 보통 이틀 안에 보냅니다. 30일 안에 반품할 수 있습니다. 고맙습니다.</p>
    <p>무쇠 팬은 따뜻할 때 씻으세요. 뜨거운 물과 솔을 쓰면 됩니다. 씻은 뒤에는 바로 말리세요. 기름을 조금 바르면 녹이 슬지 않습니다.</p>
    <p>구리 주전자는 부드러운 천으로 닦으세요. 물은 천천히 끓이세요. 손잡이는 뜨거워지지 않습니다. 가스레인지에서 쓸 수 있습니다.</p>
    <p>나무 도마는 한 달에 한 번 기름을 바르세요. 식기세척기에 넣지 마세요. 물에 오래 두지 마세요. 그러면 오래 쓸 수 있습니다.</p>
    <p>그릇은 전자레인지에 넣을 수 있습니다. 식기세척기도 괜찮습니다. 색은 그릇마다 조금씩 다릅니다. 그래서 더 특별합니다.</p>
    <p>리넨 냅킨은 40도에서 빨 수 있습니다. 다림질은 필요 없습니다. 빨수록 더 부드러워집니다. 네 장이 한 세트입니다.</p>
    <p><a href="/about">English</a></p>""",
        lang="ko",
    )
    out["contact.html"] = layout(
        "/contact",
        "Contact Us",
        "Email, phone or chat with the Hearth & Home team.",
        """    <h1>Contact us</h1>
    <p>We answer every message within one working day.</p>
    <ul>
      <li>Email: <a href="mailto:hello@hearth.example">hello@hearth.example</a></li>
      <li>Phone: <a href="tel:+441234567890">01234 567890</a> (Mon&ndash;Fri, 9am&ndash;5pm)</li>
      <li><a href="javascript:void(0)" class="open-chat">Open live chat</a></li>
    </ul><!-- NON-DEFECT e: mailto / tel / javascript -->
    <p>Hearth &amp; Home, 14 Walcot Street, Bath BA1 5BG</p>""",
    )
    out["404.html"] = layout(
        "/404",
        "Page Not Found",
        "Sorry, we couldn't find that page.",
        """    <h1>Sorry, we can't find that page</h1>
    <p>It may have sold out, moved or never existed. Try the <a href="/">home page</a> or browse the <a href="/category/kitchen/">kitchen</a>.</p>""",
    )
    return out


# Every crawlable store page (URL path) and the sitemap-only ones.
PAGE_PATHS = [
    "/", "/category/kitchen/", "/category/kitchen/page/2/", "/category/tableware/",
    *[f"/product/{s}" for s in PRODUCTS],
    "/sale/", "/blog/", *[f"/blog/{s}" for s in BLOG_POSTS], "/basket/", "/checkout/",
    "/about", "/delivery", "/returns", "/privacy", "/terms", "/contact", "/category/outdoor/", "/ko/",
]
# Sitemap lastmod per path (default 2026-01-15); DEFECT 28: the cast-iron guide, unchanged since mid-2024.
# None: the entry has no <lastmod> (the sitemap-only hidden gem: its orphan finding needs every entry stored).
LASTMOD: dict[str, str | None] = {"/blog/caring-for-cast-iron": "2024-06-01", "/product/hidden-gem": None}
SITEMAP_EXCLUDE = {"/basket/", "/checkout/"}

CSS = """/* Hearth & Home: site styles */
:root { --copper: #b87333; --ink: #2b2622; --paper: #faf7f2; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.6 Georgia, "Times New Roman", serif; color: var(--ink); background: var(--paper); }
.site-header { display: flex; align-items: center; justify-content: space-between; padding: 1rem 2rem; border-bottom: 2px solid var(--copper); }
.site-header nav ul, .site-footer ul { list-style: none; display: flex; gap: 1.25rem; margin: 0; padding: 0; flex-wrap: wrap; }
a { color: var(--copper); }
main { max-width: 1100px; margin: 0 auto; padding: 2rem; }
.hero img { width: 100%; height: auto; }
.product-grid { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 1.5rem; }
.product-card img, .gallery img { max-width: 100%; height: auto; display: block; }
.product-card .name { display: block; font-weight: bold; }
.price { font-size: 1.25rem; font-weight: bold; }
.gallery { display: grid; grid-template-columns: 2fr 1fr; gap: .5rem; }
.add-to-basket button, .checkout button { background: var(--copper); color: #fff; border: 0; padding: .6rem 1.4rem; cursor: pointer; }
.site-footer { border-top: 1px solid #ddd; padding: 1.5rem 2rem; font-size: .9rem; }
.staff-only { font-size: .8rem; opacity: .6; }
"""

JS = """// Hearth & Home: lazy images and live chat stub
document.addEventListener("DOMContentLoaded", function () {
  var lazy = document.querySelectorAll("img.lazy[data-src]");
  var load = function (img) { img.src = img.dataset.src; img.classList.remove("lazy"); };
  if ("IntersectionObserver" in window) {
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) { if (entry.isIntersecting) { load(entry.target); io.unobserve(entry.target); } });
    });
    lazy.forEach(function (img) { io.observe(img); });
  } else {
    lazy.forEach(load);
  }
  document.querySelectorAll(".open-chat").forEach(function (a) {
    a.addEventListener("click", function () { alert("Our team is offline right now - please email hello@hearth.example"); });
  });
});
"""

ROBOTS = """User-agent: *
Disallow: /private/

Sitemap: __ORIGIN__/sitemap.xml
"""

EXTERNAL_PAGES = {
    "partner/recipes.html": """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Breakfast Recipes | Morning Table</title>
<meta name="description" content="Simple breakfast recipes from Morning Table."></head>
<body>
<h1>Breakfast recipes</h1>
<p>Overnight oats, shakshuka and a proper bacon sandwich: our favourite slow weekend breakfasts, tested by the Morning Table team.</p>
<p>Coffee pairings come from our friends at Hearth &amp; Home.</p>
<h2 id="coffee">Coffee pairing</h2>
<p>A bright Ethiopian pour-over goes beautifully with anything sweet.</p>
</body>
</html>
""",
    "404.html": """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Not found | Morning Table</title></head>
<body><h1>404 &ndash; recipe not found</h1><p>This recipe has been removed or moved.</p></body>
</html>
""",
}


def sitemap() -> str:
    def lastmod(p: str) -> str:
        value = LASTMOD.get(p, "2026-01-15")
        return f"<lastmod>{value}</lastmod>" if value else ""

    urls = "\n".join(f"  <url><loc>__ORIGIN__{p}</loc>{lastmod(p)}</url>" for p in PAGE_PATHS if p not in SITEMAP_EXCLUDE)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}
</urlset>
"""


def logo_png() -> bytes:
    copper, cream = (184, 115, 51), (250, 247, 242)

    def px(x: int, y: int):
        # a copper bar with a cream "flame" notch on the left
        if 4 <= x < 36 and 6 <= y < 34 and abs(x - 20) < (y - 4) * 0.55:
            return cream
        return copper

    return png_bytes(160, 40, px)


def build() -> list[Path]:
    written: list[Path] = []

    def write(path: Path, data: bytes | str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        written.append(path)

    all_html = pages()
    for rel, text in all_html.items():
        write(SITE / rel, text)
    write(SITE / "robots.txt", ROBOTS)
    write(SITE / "sitemap.xml", sitemap())
    write(SITE / "assets/site.css", CSS)
    write(SITE / "assets/site.js", JS)
    write(
        SITE / "downloads/size-guide.pdf",
        pdf_bytes(["Hearth & Home - Size guide", "Kettles: 1.2 l / 1.6 l", "Skillets: 20 cm / 26 cm / 30 cm", "Bowls: 700 ml", "Napkins: 45 x 45 cm"]),
    )
    for rel, text in EXTERNAL_PAGES.items():
        write(EXTERNAL / rel, text)

    # Images: every /img/... referenced by a page exists, except the planted ones.
    write(SITE / "img/logo.png", logo_png())
    write(SITE / "img/favicon.png", png_bytes(16, 16, lambda x, y: (184, 115, 51) if (x - 7.5) ** 2 + (y - 7.5) ** 2 < 49 else (250, 247, 242)))
    refs = sorted(set(re.findall(r"/img/[\w.-]+\.(?:jpg|png)", "\n".join(all_html.values()))))
    for ref in refs:
        if ref in NOT_A_FILE or (SITE / ref[1:]).exists() and ref.endswith(".png"):
            continue
        stem = ref[len("/img/") :].rsplit(".", 1)[0]
        slug = next((s for s in PRODUCTS if stem.startswith(s)), None)
        if stem.startswith("knife"):
            slug = "chef-knife"
        c1, c2 = PRODUCTS[slug]["colours"] if slug else ("#b87333", "#2b2622")
        big = stem.endswith("-800") or stem in ("slow-banner",) or stem.startswith("blog-")
        write(SITE / ref[1:], gradient_jpeg(c1, c2, 96 if big else 64, 48))
    return written


if __name__ == "__main__":
    files = build()
    print(f"wrote {len(files)} files under {HERE}")
