"""Promotions of products shoppers cannot buy.

Routed to the ``marketing`` team when the config lists it in ``report.teams`` (the check's
``preferred_team``), else to content: an example of how a third team takes over a check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from checks.context import RunContext
from checks.page_kinds import path_matches
from checks.registry import Finding, site_check


@dataclass(frozen=True)
class PromotionOptions:
    promo_urls: tuple[str, ...] = field(default=("/sale/**", "/sale", "/sales/**", "/offers/**", "/offers",
                                                 "/deals/**", "/deals", "/promotions/**", "/promo/**",
                                                 "/black-friday/**", "/clearance/**"),
                                        metadata={"help": "URL path globs of sale and promotion pages (every link in their main content is a promotion)"})


@site_check("PROMO001", "promotion-of-out-of-stock-product", category="content-quality", severity="warning",
            team="content", preferred_team="marketing", title="Promotion of a product that is out of stock",
            options=PromotionOptions)
def promoted_out_of_stock(run: RunContext, options: PromotionOptions) -> Iterator[Finding]:
    """A sale or promotion page, or a promotion banner on any page (an element whose class
    or id says promo, banner, hero, sale, offer or deal), links to a product whose page says
    it is out of stock (schema.org availability OutOfStock/SoldOut/Discontinued, or a
    visible "Out of stock"/"Sold out" marker). The shopper follows the offer and cannot buy.

    Take the product out of the promotion, or restock it before the campaign runs. Goes to
    the ``marketing`` team when ``report.teams`` lists it, else to content.
    """
    # From the out-of-stock pages to the links to them, in that order (CROSS JOIN keeps it):
    # left to itself SQLite read every link of the run, 1.0 s instead of 0.03 s at 10,000 pages.
    rows = run.query("""
        select su.url as source, tu.url as target, group_concat(distinct e.text) as texts,
               group_concat(distinct e.region) as regions, s.promo_links
        from pages t cross join urls tu on tu.url = t.url
             cross join link_edges e on e.run_id = t.run_id and e.target_id = tu.id
             cross join urls su on su.id = e.source_id
             cross join pages s on s.run_id = e.run_id and s.url = su.url
        where t.run_id = :run and t.availability = 'out-of-stock' and e.kind in ('a', 'area')
          and e.source_id != e.target_id
        group by su.url, tu.url
        order by tu.url, su.url
    """)
    for row in rows:
        regions = (row["regions"] or "main").split(",")
        in_banner = row["target"] in json.loads(row["promo_links"] or "[]")
        on_promo_page = "main" in regions and path_matches(row["source"], options.promo_urls)
        if not (in_banner or on_promo_page):
            continue
        text = next((t for t in (row["texts"] or "").split(",") if t), "")
        yield Finding(code="PROMO001", page=row["source"], target=row["target"], group=row["target"],
                      message="Promotes a product that is out of stock",
                      evidence={"element": "a", "text": text, "region": "main",
                                "where": "banner" if in_banner else "promotion page"})
