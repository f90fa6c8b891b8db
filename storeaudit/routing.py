"""Who fixes what: turn a finding into exactly one team.

The rule of thumb the defaults follow: the content team fixes what an editor put on a page;
IT fixes what the platform does. Config rules (``[[routing]]``) come first, first match wins.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from config import RoutingRule

__all__ = ["PLATFORM_FAILURES", "route"]

#: Status classes that mean the store's platform failed, not the editor.
PLATFORM_FAILURES = frozenset({"5xx", "timeout", "dns", "tls", "connection"})


def route(*, code: str, page: str, status_class: str, own_host: bool, template: bool,
          default_team: str, rules: list[RoutingRule]) -> str:
    """The team for one finding.

    1. the first config rule matching the check code, the page path and the status class;
    2. a template defect (the same on most pages, or in header/nav/footer) goes to IT;
    3. a 5xx, time-out, DNS, TLS or connection failure of the store's own hosts goes to IT;
    4. otherwise the check's default team (as configured).
    """
    parts = urlsplit(page)
    path = parts.path or "/"
    for rule in rules:
        if rule.matches(code=code, path=path, status_class=status_class):
            return rule.team
    if template:
        return "it"
    if own_host and status_class in PLATFORM_FAILURES:
        return "it"
    return default_team
