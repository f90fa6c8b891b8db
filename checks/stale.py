"""Stale content: promotions, events and pages whose dates have passed.

Dates are read in context: a date counts only after words that make it a deadline ("offer
ends", "valid until", "through") or as the year of a seasonal campaign ("Black Friday
2023"); the date itself is parsed by dateparser in the page's language, and a day/month
order the language does not settle is not reported. A future date is never a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from checks.context import PageContext, RunContext
from checks.dates import date_order, parse_machine_date, parse_text_date
from checks.page_kinds import language, path_matches
from checks.registry import Finding, page_check, site_check
from checks.text_content import TextBlock, main_blocks, sentences
from crawler.extract import ParsedPage

_TRIGGER = (r"until|till|through|thru|ends?|ending|ended|expires?|expiring|expired|expiry(?:\s+date)?:?|"
            r"closes?|closing|valid\s+to|deadline:?|takes\s+place|join\s+us|"
            r"bis|endet|jusqu['’]au|hasta\s+el|fino\s+al|tot\s+en\s+met")
_FILLER = r"(?:(?:on|the|at|midnight|noon|\d{1,2}(?::\d{2})?\s*(?:am|pm)|[^\W\d_]+day|den|le|el|il),?\s+){0,3}"
_MONTH = r"[^\W\d_]{3,}\.?"
_DATE = (rf"\d{{1,2}}(?:st|nd|rd|th|er|\.)?\s+(?:of\s+|de\s+)?{_MONTH},?\s+(?:de\s+)?(?:19|20)\d{{2}}"
         rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}"
         r"|(?:19|20)\d{2}-\d{1,2}-\d{1,2}"
         r"|\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)\d{2}"
         rf"|{_MONTH}\s+(?:19|20)\d{{2}}")
_DEADLINE = re.compile(rf"\b(?P<trigger>{_TRIGGER})\s+{_FILLER}(?P<date>{_DATE})\b", re.I)
_YEAR = re.compile(r"(?:19|20)\d\d")  # every date read here has a year: a cheap test first
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{4}$")

_CAMPAIGN = (r"black\s+friday|cyber\s+monday|christmas|xmas|easter|halloween|valentine(?:['’]?s)?(?:\s+day)?|"
             r"boxing\s+day|prime\s+day|mother['’]?s\s+day|father['’]?s\s+day|back[-\s]to[-\s]school|"
             r"singles['’]?\s+day|summer|winter|spring|autumn|holiday|festive")
_SEASONAL = re.compile(
    rf"\b(?:(?P<name1>{_CAMPAIGN})\s+(?P<year1>(?:19|20)\d{{2}})\b"
    rf"|(?P<year2>(?:19|20)\d{{2}})\s+(?P<name2>{_CAMPAIGN}|season|collection)\b)", re.I)


def _sentence_of(block: TextBlock, needle: str) -> str:
    for sentence in sentences(block.text):
        if needle in sentence:
            return sentence[:300]
    return block.text[:300]


def _text_finding(code: str, page: ParsedPage, block: TextBlock, phrase: str, message: str,
                  **evidence: object) -> Finding:
    return Finding(code=code, page=page.url, group=phrase.lower(), message=message,
                   evidence={"quote": _sentence_of(block, phrase), "phrase": phrase, "element": block.tag,
                             "region": "main", **evidence})


def _numeric_order(text: str, order: str) -> str | None:
    """The day/month order of a numeric date, or None when it cannot be told for this page."""
    m = _NUMERIC.match(text)
    if not m:
        return order
    first, second = int(m.group(1)), int(m.group(2))
    if first > 12 >= second:
        return "DMY"
    if second > 12 >= first:
        return "MDY"
    if first == second:
        return order or "DMY"
    return order or None


@page_check("STALE001", "expired-date-in-text", category="stale-content", severity="warning", team="content",
            title="Offer, deadline or event date that has passed")
def expired_date(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """The page's text announces a deadline that is over: "offer ends 31 August 2024", "valid
    until 3/1/2024", "available through March 2025", an event "held on" a past day. Shoppers
    who read it think the shop is abandoned, or feel cheated when the offer is not honoured.

    Remove the expired offer or event, or update it with the new dates. Dates are read in
    the page's language (``<html lang="en-GB">`` means 3/1/2024 is 3 January); a day/month
    order the language does not settle, a date without a year, and any future date are not
    reported.
    """
    lang, region = language(page)
    order = date_order(lang, region)
    for block in main_blocks(page):
        if block.code or not _YEAR.search(block.text):
            continue
        for m in _DEADLINE.finditer(block.text):
            raw = m.group("date")
            text_order = _numeric_order(raw, order)
            if text_order is None:
                continue
            when = parse_text_date(raw, lang, text_order)
            if when is None or when >= context.as_of:
                continue
            phrase = m.group(0)
            yield _text_finding("STALE001", page, block, phrase, f'Date that has passed: "{phrase}"',
                                date=when.isoformat())


@page_check("STALE002", "past-seasonal-campaign", category="stale-content", severity="warning", team="content",
            title="Seasonal campaign of a past year")
def past_campaign(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """The page still promotes a seasonal campaign of an earlier year: "Black Friday 2023",
    "Summer 2022 collection", "updated for the 2021 season". It tells shoppers the page has
    not been looked after, and the products or prices it shows may be gone.

    Update the campaign to this year's or take the page (or banner) down; redirect old
    campaign pages to the current one.
    """
    for block in main_blocks(page):
        if block.code or not _YEAR.search(block.text):
            continue
        for m in _SEASONAL.finditer(block.text):
            year = int(m.group("year1") or m.group("year2"))
            if year >= context.as_of.year:
                continue
            phrase = m.group(0)
            yield _text_finding("STALE002", page, block, phrase, f'Campaign of a past year: "{phrase}"', year=year)


@site_check("STALE003", "outdated-copyright-year", category="stale-content", severity="notice", team="content",
            title="Footer copyright year of a past year")
def outdated_copyright(run: RunContext, options: None) -> Iterator[Finding]:
    """The footer's copyright notice names a past year ("© 2022"). It is the first thing
    shoppers glance at to judge whether a shop is still trading. It sits in the page
    template, so it is reported once for the template, with the number of pages showing it.

    Update the year in the footer template, or have the template print the current year. As
    a template defect it goes to IT unless a ``[[routing]]`` rule (``code = "STALE003"``)
    sends it to the team that edits the footer.
    """
    rows = run.query("""
        select copyright_year as year, count(*) as pages, min(depth) as depth,
               (select url from pages q where q.run_id = :run and q.copyright_year = p.copyright_year
                order by depth, url limit 1) as page
        from pages p where run_id = :run and copyright_year is not null and copyright_year < :year
          and status between 200 and 299
        group by copyright_year
    """, {"year": run.as_of.year})
    for row in rows:
        yield Finding(code="STALE003", page=row["page"], group=f"© {row['year']}", region="footer",
                      message=f"Footer copyright says © {row['year']} on {row['pages']} pages",
                      evidence={"quote": f"© {row['year']}", "year": row["year"], "pages": row["pages"],
                                "element": "footer", "region": "footer"})


@page_check("STALE004", "expired-offer-in-structured-data", category="stale-content", severity="warning",
            team="content", title="Structured-data offer whose price validity has ended")
def expired_offer_data(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """The page's schema.org Offer (JSON-LD or microdata) says its price was valid only until a
    date that has passed (``priceValidUntil``). Search engines drop or flag such offers, and a
    shopper arriving from a search result may see a price that no longer applies.

    Update ``priceValidUntil`` with the offer's real end date, or remove it when the price
    has no end date. The value usually comes from the product data in the shop platform.
    """
    if page.root is None:
        return
    for value in dict.fromkeys(page.schema().values("priceValidUntil")):
        when = parse_machine_date(value)
        if when is not None and when < context.as_of:
            yield Finding(code="STALE004", page=page.url, group=f"priceValidUntil {value}",
                          message=f"Offer price valid only until {when.isoformat()}",
                          evidence={"quote": f"priceValidUntil: {value}", "date": when.isoformat(),
                                    "element": "offer", "region": "main"})


@dataclass(frozen=True)
class PageAgeOptions:
    urls: tuple[str, ...] = field(default=("/blog/**", "/guides/**", "/guide/**", "/news/**", "/articles/**",
                                           "/journal/**", "/magazine/**"),
                                  metadata={"help": "URL path globs of pages that must be reviewed regularly, each optionally with its own age in days: '/news/**=90' (product pages are exempt by default)"})
    max_age_days: int = field(default=365, metadata={"help": "days after its last change that a page matching a glob without its own age is reported"})

    def max_age(self, url: str) -> int | None:
        """The age limit of the first glob the URL matches, or None when no glob matches."""
        for entry in self.urls:
            glob, _, days = entry.partition("=")
            if path_matches(url, (glob.strip(),)):
                return int(days) if days.strip().isdigit() else self.max_age_days
        return None


@site_check("STALE005", "page-not-updated", category="stale-content", severity="notice", team="content",
            title="Guide or article not updated for a long time", options=PageAgeOptions)
def page_not_updated(run: RunContext, options: PageAgeOptions) -> Iterator[Finding]:
    """A blog post, guide or article (by URL pattern) was last changed longer ago than the
    configured age, by the newest of what the site says about it: schema.org
    ``dateModified``, ``article:modified_time``, the HTTP ``Last-Modified`` header and the
    sitemap's ``lastmod``. Old advice, prices and links lose shoppers' trust.

    Review the page: update facts, prices and links, then its modified date (or sitemap
    ``lastmod``). Tune which pages are checked and their ages in ``[checks.STALE005]``
    (``urls = ["/blog/**", "/news/**=90"]``).
    """
    rows = run.query("""
        select p.url, p.modified, f.last_modified,
               (select max(s.lastmod) from sitemap_entries s where s.run_id = p.run_id and s.url = p.url) as lastmod
        from pages p left join fetches f on f.run_id = p.run_id and f.url = p.url
        where p.run_id = :run and p.status between 200 and 299
    """)
    for row in rows:
        limit = options.max_age(row["url"])
        if limit is None:
            continue
        dates = {source: parse_machine_date(row[col] or "") for source, col in
                 (("dateModified", "modified"), ("Last-Modified", "last_modified"), ("sitemap lastmod", "lastmod"))}
        known = {s: d for s, d in dates.items() if d is not None}
        if not known:
            continue
        source, newest = max(known.items(), key=lambda kv: kv[1])
        age = (run.as_of - newest).days
        if age > limit:
            yield Finding(code="STALE005", page=row["url"], group=row["url"],
                          message=f"Not updated for {age} days (last change {newest.isoformat()}, {source})",
                          evidence={"quote": f"last changed {newest.isoformat()} ({source})", "age_days": age,
                                    "date": newest.isoformat(), "source": source, "element": "page",
                                    "region": "main"})
