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
    rows = run.query("""
        select l.source, l.target, group_concat(distinct l.text) as texts,
               group_concat(distinct l.region) as regions, s.promo_links
        from links l
        join pages t on t.run_id = l.run_id and t.url = l.target and t.availability = 'out-of-stock'
        join pages s on s.run_id = l.run_id and s.url = l.source
        where l.run_id = :run and l.kind in ('a', 'area') and l.source != l.target
        group by l.source, l.target
        order by l.target, l.source
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
