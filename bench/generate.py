"""Generate a realistic static store of N pages for benchmarks.

Product pages look like a real platform's: 40–60 KB of HTML with a mega-menu, breadcrumbs,
a gallery with srcset, 300–800 words of description, specs, related products, reviews, an
inline JSON config blob and a long footer — 60–120 links and 10–20 images each. About 1 % of
links and images are broken, so the audit has real work to report. Images are served by one
nginx regex location from a single small file (see ``bench/nginx.py``), so a 100,000-page
store needs no million image files.

    python -m bench.generate --pages 10000 --out bench/out/site-10000
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["SiteManifest", "generate"]

WORDS = (
    "kettle copper steel handle pour spout heat stove induction boil water tea coffee brew morning "
    "kitchen table oak wood board knife blade edge sharp chef slice dice chop bowl stoneware glaze "
    "oven safe dishwasher clean easy care hand wash dry towel linen cotton napkin weave soft durable "
    "classic modern design colour finish matte gloss warm season gift family dinner guests serve "
    "plate mug cup saucer set four six piece everyday quality craft maker workshop tradition small "
    "batch recycled packaging delivery returns guarantee years warranty size capacity litre weight "
    "light heavy balanced grip comfortable pan skillet cast iron enamel colander pasta drain rinse "
    "fresh herbs garden market recipe bake bread roast vegetables slow simple quick weekday"
).split()
CATEGORIES = ["kitchen", "tableware", "cookware", "knives", "textiles", "storage", "baking", "coffee-tea",
              "outdoor", "gifts", "lighting", "cleaning", "bar", "kids", "sale", "new-in", "bestsellers",
              "bathroom", "garden", "decor"]
PER_CATEGORY_PAGE = 24


@dataclass
class SiteManifest:
    pages: int
    products: int
    categories: int
    category_pages: int
    blog_posts: int
    broken_links: int
    broken_images: int
    bytes: int


def _sentence(rng: random.Random) -> str:
    n = rng.randint(8, 22)
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _header() -> str:
    menu = []
    for cat in CATEGORIES:
        subs = "".join(f'<li class="mega-menu__item"><a class="mega-menu__link" href="/category/{cat}/?sub={i}">'
                       f'{cat.title()} {i}</a></li>' for i in range(1, 3))
        menu.append(f'<li class="nav__item nav__item--has-children"><a class="nav__link" href="/category/{cat}/">'
                    f'{cat.replace("-", " ").title()}</a><ul class="mega-menu">{subs}</ul></li>')
    return ('<header class="site-header" role="banner"><div class="site-header__inner">'
            '<a class="site-header__logo" href="/"><img src="/img/logo.png" alt="Hearth &amp; Home" width="160" height="40"></a>'
            '<form class="search" action="/search" method="get"><input type="search" name="q" placeholder="Search"></form>'
            '<a class="site-header__basket" href="/basket/">Basket</a></div>'
            f'<nav class="nav" aria-label="Main"><ul class="nav__list">{"".join(menu)}</ul></nav></header>')


def _footer() -> str:
    cols = []
    for title, links in (("Help", ["delivery", "returns", "contact", "faq", "size-guide"]),
                         ("About", ["about", "careers", "press", "sustainability", "stores"]),
                         ("Legal", ["terms", "privacy", "cookies", "accessibility", "imprint"])):
        items = "".join(f'<li><a href="/{slug}">{slug.replace("-", " ").title()}</a></li>' for slug in links)
        cols.append(f'<div class="footer__col"><h4>{title}</h4><ul>{items}</ul></div>')
    return (f'<footer class="site-footer" role="contentinfo"><div class="footer__cols">{"".join(cols)}</div>'
            '<p class="footer__legal">&copy; 2026 Hearth &amp; Home Ltd. All rights reserved.</p></footer>')


HEADER = _header()
FOOTER = _footer()


def _page(title: str, body: str, *, description: str, canonical: str) -> str:
    return ('<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
            f'<title>{title} | Hearth &amp; Home</title><meta name="description" content="{description}">'
            f'<link rel="canonical" href="{canonical}"><link rel="stylesheet" href="/assets/site.css">'
            '<script src="/assets/site.js" defer></script><meta name="viewport" content="width=device-width">'
            f'</head><body class="template-page">{HEADER}<main id="main" class="main">{body}</main>{FOOTER}</body></html>')


class _Writer:
    def __init__(self, root: Path):
        self.root = root
        self.bytes = 0
        self.count = 0

    def write(self, path: str, html: str) -> None:
        """``/product/p1`` → product/p1.html; ``/category/x/`` → category/x/index.html."""
        rel = path.strip("/")
        target = self.root / (rel + "/index.html" if path.endswith("/") else rel + ".html") if rel else self.root / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = html.encode("utf-8")
        target.write_bytes(data)
        self.bytes += len(data)
        self.count += 1


def generate(out: str | Path, pages: int = 10_000, *, seed: int = 1) -> SiteManifest:
    """Write a store of about ``pages`` HTML pages under ``out``; returns what was made."""
    rng = random.Random(seed)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    w = _Writer(root)
    info_pages = ["delivery", "returns", "contact", "faq", "size-guide", "about", "careers", "press",
                  "sustainability", "stores", "terms", "privacy", "cookies", "accessibility", "imprint"]
    blog_posts = max(5, pages // 50)
    fixed = 1 + len(info_pages) + 1 + blog_posts
    products = max(PER_CATEGORY_PAGE, int((pages - fixed) * PER_CATEGORY_PAGE / (PER_CATEGORY_PAGE + 1)))
    per_cat = -(-products // len(CATEGORIES))
    cat_pages = -(-per_cat // PER_CATEGORY_PAGE)
    broken_links = broken_images = 0
    urls: list[str] = []

    def product_url(i: int) -> str:
        return f"/product/p{i}"

    # products
    for i in range(products):
        cat = CATEGORIES[i % len(CATEGORIES)]
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i}"
        imgs = []
        for k in range(rng.randint(10, 16)):
            src = f"/img/p{i}-{k}.jpg"
            if rng.random() < 0.01:
                src = f"/img/missing-{i}-{k}.jpg"
                broken_images += 1
            imgs.append(f'<figure class="gallery__item"><img src="{src}" srcset="{src[:-4]}-400.jpg 400w, '
                        f'{src[:-4]}-800.jpg 800w" sizes="(max-width: 600px) 400px, 800px" alt="{name} view {k + 1}" '
                        f'loading="lazy" width="800" height="800"></figure>')
        related = []
        for _ in range(12):
            j = rng.randrange(products)
            href = product_url(j)
            if rng.random() < 0.01:
                href = f"/product/discontinued-{i}-{j}"
                broken_links += 1
            related.append(f'<li class="card"><a class="card__link" href="{href}"><img class="card__img" '
                           f'src="/img/p{j}-0.jpg" alt="" width="200" height="200"><span class="card__title">'
                           f'Product {j}</span></a><span class="card__price">&pound;{rng.randint(5, 200)}.00</span></li>')
        words = rng.randint(300, 800)
        desc = []
        written = 0
        while written < words:
            p = _paragraph(rng, rng.randint(3, 6))
            written += p.count(" ") + 1
            desc.append(f"<p>{p}</p>")
        specs = "".join(f"<tr><th>{rng.choice(WORDS).title()}</th><td>{rng.choice(WORDS)} {rng.randint(1, 99)}</td></tr>"
                        for _ in range(10))
        reviews = "".join(f'<li class="review"><p class="review__stars">{rng.randint(3, 5)} stars</p>'
                          f"<p>{_paragraph(rng, 2)}</p></li>" for _ in range(rng.randint(2, 6)))
        config = json.dumps({"product": {"id": i, "variants": [{"sku": f"SKU-{i}-{v}", "price": rng.randint(5, 200),
                                                                "stock": rng.randint(0, 40),
                                                                "options": {"colour": rng.choice(WORDS), "size": v}}
                                                               for v in range(rng.randint(170, 300))]}})
        ld = json.dumps({"@context": "https://schema.org", "@type": "Product", "name": name,
                         "offers": {"@type": "Offer", "price": "19.00", "priceCurrency": "GBP",
                                    "availability": "https://schema.org/InStock"}})
        body = (f'<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/">Home</a> / '
                f'<a href="/category/{cat}/">{cat.title()}</a></nav>'
                f'<div class="product"><div class="gallery">{"".join(imgs)}</div><div class="product__info">'
                f'<h1 class="product__title">{name}</h1><p class="product__price">&pound;19.00</p>'
                f'<form class="product__form" method="post" action="/basket/add"><input type="hidden" name="product_id" '
                f'value="{i}"><input type="hidden" name="csrf" value="tok{i}"><button type="submit">Add to basket</button></form>'
                f'<a href="/size-guide">Size guide</a> <a href="/delivery#returns">Delivery and returns</a></div></div>'
                f'<section class="description"><h2>Description</h2>{"".join(desc)}</section>'
                f'<section class="specs"><h2>Specifications</h2><table>{specs}</table></section>'
                f'<section class="reviews" id="reviews"><h2>Reviews</h2><ul>{reviews}</ul></section>'
                f'<section class="related"><h2>You may also like</h2><ul class="cards">{"".join(related)}</ul></section>'
                f'<script type="application/ld+json">{ld}</script>'
                f'<script>window.__PRODUCT_CONFIG__ = {config};</script>')
        url = product_url(i)
        w.write(url, _page(name, body, description=f"Buy {name} online.", canonical=url))
        urls.append(url)

    # categories with pagination and facets
    for c, cat in enumerate(CATEGORIES):
        members = list(range(c, products, len(CATEGORIES)))
        for page_no in range(cat_pages):
            chunk = members[page_no * PER_CATEGORY_PAGE:(page_no + 1) * PER_CATEGORY_PAGE]
            cards = "".join(f'<li class="card"><a href="{product_url(i)}"><img src="/img/p{i}-0.jpg" '
                            f'srcset="/img/p{i}-0-400.jpg 400w" alt="Product {i}"><span>Product {i}</span></a></li>'
                            for i in chunk)
            facets = "".join(f'<a class="facet" href="/category/{cat}/?colour={col}">{col}</a>'
                             for col in ("red", "blue", "green", "black"))
            pager = "".join(f'<a href="/category/{cat}/page/{n + 1}/">{n + 1}</a>' if n else f'<a href="/category/{cat}/">1</a>'
                            for n in range(cat_pages))
            path = f"/category/{cat}/" if page_no == 0 else f"/category/{cat}/page/{page_no + 1}/"
            body = (f'<h1>{cat.title()}</h1><p>{_paragraph(rng, 2)}</p><div class="facets">{facets}</div>'
                    f'<ul class="cards">{cards}</ul><nav class="pagination" aria-label="Pages">{pager}</nav>')
            w.write(path, _page(cat.title(), body, description=f"{cat} at Hearth & Home", canonical=path))
            urls.append(path)

    # blog, info pages, home
    for b in range(blog_posts):
        path = f"/blog/post-{b}"
        links = "".join(f'<a href="{product_url(rng.randrange(products))}">this one</a> ' for _ in range(5))
        body = f"<article><h1>Journal {b}</h1>{''.join(f'<p>{_paragraph(rng, 5)}</p>' for _ in range(6))}<p>{links}</p></article>"
        w.write(path, _page(f"Journal {b}", body, description="From our journal", canonical=path))
        urls.append(path)
    posts = "".join(f'<li><a href="/blog/post-{b}">Journal {b}</a></li>' for b in range(blog_posts))
    w.write("/blog/", _page("Journal", f"<h1>Journal</h1><ul>{posts}</ul>", description="Journal", canonical="/blog/"))
    urls.append("/blog/")
    for slug in info_pages:
        w.write(f"/{slug}", _page(slug.title(), f'<h1>{slug.title()}</h1><p id="returns">{_paragraph(rng, 8)}</p>',
                                  description=slug, canonical=f"/{slug}"))
        urls.append(f"/{slug}")
    home = "".join(f'<a href="/category/{cat}/">{cat}</a> ' for cat in CATEGORIES)
    w.write("/", _page("Home", f"<h1>Hearth &amp; Home</h1><p>{home}</p><p><a href=\"/blog/\">Journal</a></p>",
                       description="Kitchenware", canonical="/"))
    urls.append("/")

    # assets, robots, sitemap
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / "site.css").write_text("body{font-family:sans-serif}" * 50)
    (root / "assets" / "site.js").write_text("document.documentElement.className='js';")
    (root / "img").mkdir(exist_ok=True)
    (root / "img" / "logo.png").write_bytes(_TINY_PNG)
    (root / "img" / "_any.jpg").write_bytes(_TINY_JPEG)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /search\nSitemap: /sitemap.xml\n")
    sm = "".join(f"<url><loc>http://bench.invalid{u}</loc></url>" for u in urls)
    (root / "sitemap.tmpl").write_text(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{sm}</urlset>')
    manifest = SiteManifest(pages=w.count, products=products, categories=len(CATEGORIES), category_pages=cat_pages * len(CATEGORIES),
                            blog_posts=blog_posts, broken_links=broken_links, broken_images=broken_images, bytes=w.bytes)
    (root / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
    return manifest


_TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e5270de40000000049454e44ae426082")
_TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a"
    "1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f"
    "0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d010203"
    "00041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738"
    "393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2"
    "a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7"
    "f8f9faffda0008010100003f00fbd3ffd9")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(asdict(generate(args.out, args.pages, seed=args.seed)), indent=2))


if __name__ == "__main__":
    main()
