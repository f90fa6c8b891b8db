"""Reading dates the way a shopper would: in the page's language, or not at all when unsure.

The parsing is dateparser's; this module only decides which day/month order a page's
language implies and turns machine dates (ISO 8601, HTTP dates) into ``date`` objects.
"""

from __future__ import annotations

import email.utils
from datetime import date, datetime
from functools import lru_cache

__all__ = ["date_order", "parse_machine_date", "parse_text_date"]

_MDY_REGIONS = frozenset({"us", "ph", "fm", "mh", "pw", "as", "gu", "pr", "um", "vi"})
_YMD_LANGS = frozenset({"ja", "zh", "ko", "hu", "lt", "mn"})


def date_order(lang: str, region: str) -> str:
    """'MDY', 'DMY', 'YMD', or '' when the page's language does not settle it (plain 'en', none)."""
    if region in _MDY_REGIONS:
        return "MDY"
    if lang in _YMD_LANGS:
        return "YMD"
    if region and region != "ca":  # Canada writes both orders
        return "DMY"
    if lang and lang != "en":
        return "DMY"
    return ""


@lru_cache(maxsize=4096)
def parse_text_date(text: str, lang: str, order: str) -> date | None:
    """A date written in prose ('31 August 2024', '3/1/2024', 'August 2024'), with its year.

    A month without a day means its last day (an offer "ending August 2024" ran through
    the 31st). Texts without a year are not dates here: "ends 31 August" may mean any year.
    dateparser is imported on the first call: the crawler, whose pages a worker reads, never
    makes one (~0.1 s of its start).
    """
    import dateparser

    settings = {"PREFER_DAY_OF_MONTH": "last", "REQUIRE_PARTS": ["month", "year"],
                "RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DATES_FROM": "past"}
    if order:
        settings["DATE_ORDER"] = order
    try:
        parsed = dateparser.parse(text, languages=[lang] if lang else None, settings=settings)
    except (ValueError, LookupError, OverflowError):  # an unknown language code, a silly number
        parsed = None
    return parsed.date() if parsed else None


def parse_machine_date(value: str) -> date | None:
    """An ISO 8601 date/datetime (schema.org, sitemaps, meta tags) or an HTTP date header."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        return None
