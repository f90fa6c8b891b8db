"""storeaudit configuration: one table of settings that validation, docs and the example read.

A config file is TOML. Every key is declared once in :data:`SETTINGS` with its type, default
and help; :func:`load_config` rejects anything else with a :class:`ConfigError` that names the
key, the file and what was expected. Per-check options live with their check (see
``checks.registry``) and are validated against its options dataclass.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from collections.abc import Callable
from typing import Any

from storeaudit.flows.safety import DEFAULT_STOP_HOSTS, DEFAULT_STOP_PATTERNS

__all__ = [
    "SETTINGS",
    "Config",
    "ConfigError",
    "IgnoreRule",
    "RoutingRule",
    "Setting",
    "example_config",
    "load_config",
]

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default.toml")


class ConfigError(ValueError):
    """A config problem, phrased as one line for the user."""

    def __init__(self, message: str, *, key: str = "", file: str | Path | None = None):
        where = f" in {file}" if file else ""
        prefix = f"config key '{key}'{where}: " if key else (f"config{where}: " if where else "")
        super().__init__(prefix + message)
        self.key = key
        self.file = str(file) if file else None


@dataclass(frozen=True)
class Setting:
    """One config key: ``section.name``, its type, default and the help shown in the example."""

    key: str
    default: Any
    help: str
    type: type | tuple[type, ...] = object
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    #: checks each item of a list value; returns what is expected, or '' when the item is fine
    item_check: Callable[[str], str] | None = None

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[1]


def _url_glob(pattern: str) -> str:
    """A crawl.exclude pattern is matched against whole URLs: '/logout*' would never match."""
    if pattern.startswith(("*", "http://", "https://", "?")):
        return ""
    return "a glob over the whole URL, starting with '*' or 'http(s)://' (e.g. '*/logout*')"


def _param_glob(pattern: str) -> str:
    if pattern and not any(c in pattern for c in "=&;/# "):
        return ""
    return "a parameter name or glob such as 'utm_*' (no '=', '&', ';', '/', '#' or spaces)"


DEFAULT_IGNORE_PARAMS = ("utm_*", "gclid", "fbclid", "msclkid", "mc_cid", "mc_eid", "_ga", "sid", "sessionid",
                         "session_id", "sessid", "jsessionid", "phpsessid", "aspsessionid*", "oscsid", "zenid")
DEFAULT_USER_AGENT = "storeaudit/0.1 (+https://github.com/storeaudit/storeaudit; site audit)"

SETTINGS: tuple[Setting, ...] = (
    Setting("crawl.max_pages", 5000, "Stop parsing new pages after this many HTML pages; links on the pages already parsed are still checked.", int, minimum=1),
    Setting("crawl.max_depth", 30, "Do not parse pages more than this many clicks from the start URL (they are still checked).", int, minimum=0),
    Setting("crawl.concurrency", 16, "Requests in flight at once, over all hosts.", int, minimum=1),
    Setting("crawl.per_host_concurrency", 4, "Requests in flight at once to one host (HEAD checks pipelined on one connection count once: the host answers them one after another): keeps the store (and the audit) from false alarms caused by overload.", int, minimum=1),
    Setting("crawl.delay", 0.0, "Seconds to wait between two requests to the same host.", (int, float), minimum=0),
    Setting("crawl.autothrottle", "auto", "Adapt the request rate to the server's response times: 'on', 'off', or 'auto' (on, except for hosts on this machine).", str, choices=("auto", "on", "off")),
    Setting("crawl.timeout", 15.0, "Seconds to wait for one response before counting the URL as timed out.", (int, float), minimum=0.1),
    Setting("crawl.retries", 1, "How often a timed-out or overloaded (429/502/503/504) request is tried again.", int, minimum=0),
    Setting("crawl.max_retry_after", 60.0, "Longest Retry-After (seconds) honoured on 429/503; a longer wait counts as a failure.", (int, float), minimum=0),
    Setting("crawl.user_agent", DEFAULT_USER_AGENT, "User-Agent header sent with every request; robots.txt rules are matched against it.", str),
    Setting("crawl.respect_robots", True, "Obey robots.txt. Disallowed URLs are recorded as skipped and never reported broken.", bool),
    Setting("crawl.use_sitemaps", True, "Also start from the sitemaps named in robots.txt, or /sitemap.xml.", bool),
    Setting("crawl.check_external", True, "Check links to other sites (one request each, never crawled further).", bool),
    Setting("crawl.head_first", True, "Check non-page URLs with HEAD, falling back to GET when the server refuses HEAD.", bool),
    Setting("crawl.page_processes", -1, "Processes that parse and check pages beside the crawler, so an audit uses more than one core: -1 (auto) one per core beyond the first (at most 3), started as the audit starts (the crawler reads pages itself until one is up); 0 reads every page in the crawler's process.", int, minimum=-1),
    Setting("crawl.fast_checks", True, "Send the HEAD checks of non-page URLs with a lean HTTP client beside Scrapy when the crawl is not throttled (no delay, no AutoThrottle) and per_host_concurrency is at least 4: about a tenth of the CPU per check. Redirects, refusals and errors are still checked through Scrapy; the per-host concurrency is shared, never exceeded.", bool),
    Setting("crawl.pipeline_checks", True, "With fast_checks, send a host's HEAD checks several at a time on one connection (HTTP/1.1 pipelining, up to 6) once it has answered two that way in order: a third of the CPU per check, for the audit and for the server. The host still works on one request per connection at a time, so per_host_concurrency bounds its load as before. A host that drops, garbles or stalls on pipelined requests gets them again one at a time, and only one at a time from then on.", bool),
    Setting("crawl.max_redirects", 5, "Longest redirect chain accepted; a longer chain is a finding (LINK003).", int, minimum=1),
    Setting("crawl.max_page_size", 10 * 1024 * 1024, "Bytes; a larger response is cut off and reported, never parsed.", int, minimum=1024),
    Setting("crawl.same_site_hosts", [], "Further host names that count as the same store (e.g. 'www.shop.example' and 'shop.example').", list),
    Setting("crawl.exclude", [], "URL glob patterns never requested (e.g. '*/logout*').", list, item_check=_url_glob),
    Setting("crawl.ignore_params", list(DEFAULT_IGNORE_PARAMS), "Query (and ;path) parameters dropped from every URL before it is compared or requested: tracking and session ids (globs, case-insensitive).", list, item_check=_param_glob),
    Setting("crawl.max_query_variants", 50, "Request at most this many different query strings of one path (faceted navigation, sorts, filters); the report says where it was reached.", int, minimum=1),
    Setting("crawl.max_pages_per_pattern", 1000, "Parse at most this many pages whose paths differ only in numbers, dates or ids (/calendar/2031/05, /p/123); raise it for stores with numeric product URLs.", int, minimum=1),
    Setting("crawl.wall_after", 30, "Stop politely (run 'interrupted') after this many refusals (403/429) in a row from the store: it is blocking the audit.", int, minimum=1),
    Setting("auth.basic_user_env", "", "Name of the environment variable holding the HTTP basic-auth user for the store's own hosts (staging sites). The value is never stored or logged.", str),
    Setting("auth.basic_password_env", "", "Name of the environment variable holding the basic-auth password.", str),
    Setting("auth.headers_env", {}, "Extra request headers for the store's own hosts: header name = name of the environment variable holding its value (e.g. { X-Token = \"SHOP_TOKEN\" }).", dict),
    Setting("auth.cookies_env", {}, "Cookies for the store's own hosts: cookie name = name of the environment variable holding its value.", dict),
    Setting("flows.enabled", True, "After the crawl, walk product → basket → checkout in a cookie jar of its own (never placing an order) and report what fails.", bool),
    Setting("flows.max_flows", 5, "Most discovered checkout flows per audit: one in-stock product per distinct product-page template first, then further products. 0: only the declared flows run.", int, minimum=0),
    Setting("flows.stop_patterns", list(DEFAULT_STOP_PATTERNS), "A flow refuses any request whose URL, button text or submitted field names one of these (whole words, also run together: 'placeOrder'). Keep the defaults unless you know what a button does; place/confirm/submit/complete order and complete purchase are refused even when removed here.", list),
    Setting("flows.stop_hosts", list(DEFAULT_STOP_HOSTS), "Payment hosts a flow never contacts (a host or any of its subdomains).", list),
    Setting("report.template_share", 0.5, "A defect found on at least this share of crawled pages is a template defect (reported once, for IT).", (int, float), minimum=0),
    Setting("report.template_min_pages", 3, "...and on at least this many pages.", int, minimum=1),
    Setting("report.teams", ["content", "it"], "Teams findings can be routed to; add your own (e.g. 'marketing') and route to them.", list),
    Setting("report.history_runs", 12, "How many past audits of the same site the report's trend chart shows.", int, minimum=2),
    Setting("notify.webhook_url", "", "After each audit, POST its Markdown summary as JSON {\"text\": ...} to this URL (Slack, Mattermost, Teams-compatible); empty: off.", str),
    Setting("notify.webhook_timeout", 10.0, "Seconds to wait for the webhook; a failed notification is reported on stderr and never fails the audit.", (int, float), minimum=0.1),
)

_BY_KEY = {s.key: s for s in SETTINGS}
_TABLE_SECTIONS = ("checks", "routing", "ignore")
_SECTIONS = sorted({s.section for s in SETTINGS} | set(_TABLE_SECTIONS))
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx", "timeout", "dns", "tls", "connection", "error")


@dataclass(frozen=True)
class RoutingRule:
    """Send findings that match every given field to ``team``. Empty fields match anything."""

    team: str
    code: str = ""  # check code or prefix glob: "LINK001", "IMG*"
    url: str = ""  # glob over the page's path: "/blog/**"
    status: str = ""  # status class: "4xx", "5xx", "timeout", ...

    def matches(self, *, code: str, path: str, status_class: str) -> bool:
        if self.code and not fnmatch.fnmatchcase(code, self.code):
            return False
        if self.url and not glob_match(self.url, path):
            return False
        if self.status and self.status != status_class:
            return False
        return True


def glob_match(pattern: str, path: str) -> bool:
    """Match a URL path against a glob where ``**`` spans folders and ``*`` does not."""
    return _glob_regex(pattern).fullmatch(path) is not None


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


@dataclass(frozen=True)
class IgnoreRule:
    """An accepted finding: by ``fingerprint``, or by ``code`` glob and page-path glob ``url``.

    Matching findings are left out of gates and the main report and listed with ``reason``.
    """

    reason: str
    fingerprint: str = ""
    code: str = ""
    url: str = ""

    def matches(self, *, fingerprint: str, code: str, path: str) -> bool:
        if self.fingerprint and self.fingerprint != fingerprint:
            return False
        if self.code and not fnmatch.fnmatchcase(code, self.code):
            return False
        if self.url and not glob_match(self.url, path):
            return False
        return True


@dataclass
class Config:
    """A validated configuration; ``values`` holds every key of :data:`SETTINGS`."""

    values: dict[str, Any]
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    routing: list[RoutingRule] = field(default_factory=list)
    source: str | None = None
    ignore: list[IgnoreRule] = field(default_factory=list)
    #: checkout flows declared for this store ([[flows.declared]], storeaudit/flows/declared.py)
    declared_flows: list[Any] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def check_settings(self, code: str) -> dict[str, Any]:
        return self.checks.get(code, {})


def load_config(path: str | Path | None = None, *, overrides: dict[str, Any] | None = None) -> Config:
    """Read and validate a TOML config file (or just the defaults when ``path`` is None)."""
    raw: dict[str, Any] = {}
    source = None
    if path is not None:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}", file=path) from None
    return parse_config(raw, source=source, overrides=overrides)


def parse_config(raw: dict[str, Any], *, source: str | None = None, overrides: dict[str, Any] | None = None) -> Config:
    values = {s.key: _copy(s.default) for s in SETTINGS}
    raw, declared = _split_declared_flows(raw, source)
    for section, body in raw.items():
        if section not in _SECTIONS:
            raise ConfigError(f"unknown section; expected one of {', '.join(_SECTIONS)}", key=section, file=source)
        if section in _TABLE_SECTIONS:
            continue
        if not isinstance(body, dict):
            raise ConfigError("expected a table ([section])", key=section, file=source)
        for name, value in body.items():
            key = f"{section}.{name}"
            values[key] = _validate(key, value, source)
    for key, value in (overrides or {}).items():
        values[key] = _validate(key, value, source)
    teams = values["report.teams"]
    checks = _parse_checks(raw.get("checks", {}), teams, source)
    routing = _parse_routing(raw.get("routing", []), teams, source)
    ignore = _parse_ignore(raw.get("ignore", []), source)
    return Config(values=values, checks=checks, routing=routing, source=source, ignore=ignore,
                  declared_flows=declared)


def _split_declared_flows(raw: dict[str, Any], source: str | None) -> tuple[dict[str, Any], list[Any]]:
    """Take ``[[flows.declared]]`` out of the raw config and validate it on its own."""
    flows = raw.get("flows")
    if not isinstance(flows, dict) or "declared" not in flows:
        return raw, []
    from storeaudit.flows.declared import DeclaredFlowError, parse_declared

    try:
        declared = parse_declared(flows["declared"])
    except DeclaredFlowError as exc:
        raise ConfigError(str(exc), key=exc.key, file=source) from None
    return {**raw, "flows": {k: v for k, v in flows.items() if k != "declared"}}, declared


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    return list(value) if isinstance(value, list) else value


def _type_name(t: type | tuple[type, ...]) -> str:
    names = {int: "a whole number", float: "a number", str: "a string", bool: "true or false", list: "a list",
             dict: "a table"}
    if isinstance(t, tuple):
        return names[float] if float in t else " or ".join(names.get(x, x.__name__) for x in t)
    return names.get(t, t.__name__)


def _validate(key: str, value: Any, source: str | None) -> Any:
    setting = _BY_KEY.get(key)
    if setting is None:
        section = key.split(".", 1)[0]
        known = ", ".join(s.name for s in SETTINGS if s.section == section)
        raise ConfigError(f"unknown key; [{section}] takes {known}", key=key, file=source)
    wanted = setting.type
    ok = isinstance(value, wanted) and not (isinstance(value, bool) and wanted in (int, (int, float)))
    if not ok:
        raise ConfigError(f"expected {_type_name(wanted)}, got {value!r}", key=key, file=source)
    if setting.choices and value not in setting.choices:
        raise ConfigError(f"expected one of {', '.join(setting.choices)}, got {value!r}", key=key, file=source)
    if setting.minimum is not None and value < setting.minimum:
        raise ConfigError(f"expected at least {setting.minimum}, got {value!r}", key=key, file=source)
    if wanted is list and not all(isinstance(v, str) for v in value):
        raise ConfigError("expected a list of strings", key=key, file=source)
    for item in value if setting.item_check else ():
        expected = setting.item_check(item)  # type: ignore[misc]
        if expected:
            raise ConfigError(f"expected {expected}, got {item!r}", key=key, file=source)
    if wanted is dict and not all(isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()):
        raise ConfigError("expected a table of names to environment variable names (strings)", key=key, file=source)
    return value


def _parse_checks(raw: Any, teams: list[str], source: str | None) -> dict[str, dict[str, Any]]:
    # The registry knows every check's options; import late to keep config importable alone.
    from checks.registry import REGISTRY, SEVERITIES

    if not isinstance(raw, dict):
        raise ConfigError("expected a table of check codes ([checks.LINK001])", key="checks", file=source)
    out: dict[str, dict[str, Any]] = {}
    for code, body in raw.items():
        key = f"checks.{code}"
        check = REGISTRY.get(code)
        if check is None:
            raise ConfigError("unknown check code; `storeaudit checks` lists them", key=key, file=source)
        if not isinstance(body, dict):
            raise ConfigError("expected a table of options", key=key, file=source)
        opts: dict[str, Any] = {}
        for name, value in body.items():
            k = f"{key}.{name}"
            if name == "enabled":
                if not isinstance(value, bool):
                    raise ConfigError(f"expected true or false, got {value!r}", key=k, file=source)
            elif name == "severity":
                if value not in SEVERITIES:
                    raise ConfigError(f"expected one of {', '.join(SEVERITIES)}, got {value!r}", key=k, file=source)
            elif name == "team":
                if value not in teams:
                    raise ConfigError(f"expected one of the teams {', '.join(teams)} (report.teams), got {value!r}", key=k, file=source)
            else:
                fields = check.option_fields()
                if name not in fields:
                    known = ", ".join(["enabled", "severity", "team", *fields])
                    raise ConfigError(f"unknown option; {code} takes {known}", key=k, file=source)
                default = fields[name]
                if not _same_kind(default, value):
                    raise ConfigError(f"expected {_type_name(type(default))}, got {value!r}", key=k, file=source)
                if isinstance(default, tuple):
                    value = tuple(value)
            opts[name] = value
        out[code] = opts
    return out


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, (tuple, list)):
        return isinstance(value, list)
    return isinstance(value, type(default))


def _rule_tables(raw: Any, section: str, fields: tuple[str, ...], source: str | None, *,
                 strings: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each table of an array of tables (``[[section]]``) with its key for messages; unknown
    keys, non-string ``strings`` fields and a ``url`` glob not starting with '/' are rejected."""
    if not isinstance(raw, list):
        raise ConfigError(f"expected an array of tables ([[{section}]])", key=section, file=source)
    for i, body in enumerate(raw):
        key = f"{section}[{i}]"
        if not isinstance(body, dict):
            raise ConfigError("expected a table", key=key, file=source)
        unknown = set(body) - set(fields)
        if unknown:
            raise ConfigError(f"unknown key; a [[{section}]] rule takes {', '.join(fields)}",
                              key=f"{key}.{sorted(unknown)[0]}", file=source)
        for name in strings:
            if not isinstance(body.get(name, ""), str):
                raise ConfigError("expected a string", key=f"{key}.{name}", file=source)
        url = body.get("url", "")
        if url and not url.startswith("/"):
            raise ConfigError(f"expected a URL path glob starting with '/', got {url!r}", key=f"{key}.url", file=source)
        yield key, body


def _parse_routing(raw: Any, teams: list[str], source: str | None) -> list[RoutingRule]:
    rules = []
    for key, body in _rule_tables(raw, "routing", ("team", "code", "url", "status"), source, strings=("code", "url")):
        team = body.get("team")
        if team not in teams:
            raise ConfigError(f"expected one of the teams {', '.join(teams)} (report.teams), got {team!r}", key=f"{key}.team", file=source)
        status = body.get("status", "")
        if status and status not in STATUS_CLASSES:
            raise ConfigError(f"expected one of {', '.join(STATUS_CLASSES)}, got {status!r}", key=f"{key}.status", file=source)
        rules.append(RoutingRule(team=team, code=body.get("code", ""), url=body.get("url", ""), status=status))
    return rules


def _parse_ignore(raw: Any, source: str | None) -> list[IgnoreRule]:
    fields = ("fingerprint", "code", "url", "reason")
    rules = []
    for key, body in _rule_tables(raw, "ignore", fields, source, strings=fields):
        if not body.get("reason", "").strip():
            raise ConfigError("say why the finding is accepted (reason = \"...\")", key=f"{key}.reason", file=source)
        if not (body.get("fingerprint") or body.get("code") or body.get("url")):
            raise ConfigError("give a fingerprint, or a code and/or url glob", key=key, file=source)
        rules.append(IgnoreRule(reason=body["reason"].strip(), fingerprint=body.get("fingerprint", ""),
                                code=body.get("code", ""), url=body.get("url", "")))
    return rules


def example_config() -> str:
    """The commented example config, made from :data:`SETTINGS` and the check registry."""
    from checks.registry import REGISTRY

    lines = [
        "# storeaudit configuration. Every key is optional; the values shown are the defaults.",
        "# Validate a file with `storeaudit config check FILE`.",
    ]
    for section in [s for s in _SECTIONS if s not in _TABLE_SECTIONS]:
        lines += ["", f"[{section}]"]
        for s in SETTINGS:
            if s.section != section:
                continue
            lines.append(f"# {s.help}")
            lines.append(f"{s.name} = {_toml_value(s.default)}")
    lines += [
        "",
        "# Checks are enabled, disabled and re-tuned by code; `storeaudit checks` lists them.",
        "# Every check takes enabled, severity (error|warning|notice) and team; some take options:",
    ]
    for check in REGISTRY.values():
        fields = check.option_fields()
        if not fields:
            continue
        lines.append(f"# [checks.{check.code}]  # {check.title}")
        for name, default in fields.items():
            help_ = check.option_help(name)
            lines.append(f"# {name} = {_toml_value(default)}" + (f"  # {help_}" if help_ else ""))
    lines += [
        "#",
        "# [checks.LINK002]",
        "# severity = \"notice\"   # e.g. treat broken external links as notices",
        "",
        "# Declared checkout flows for this store, walked after the discovered ones; every",
        "# request still passes the stop list. A step does one of open (URL or path), follow (CSS",
        "# selector of a link) or submit (CSS selector of a form, with fields; \"${NAME}\" reads an",
        "# environment variable), then may assert expect_text and expect_selector.",
        "# [[flows.declared]]",
        "# name = \"guest checkout\"",
        "# start = \"/product/copper-kettle\"",
        "# steps = [",
        "#   { submit = \"form.add-to-basket\", expect_text = \"Copper Stovetop Kettle\" },",
        "#   { follow = \"main a[href*=checkout]\", expect_selector = \"form input[type=email]\" },",
        "# ]",
        "",
        "# Routing: who fixes what. Rules are tried in order and the first match wins; a finding",
        "# no rule matches goes to its check's default team (template defects and server",
        "# failures of the store itself go to it). Fields: team (required), code (glob over",
        "# check codes), url (glob over the page path, ** spans folders), status (2xx, 3xx, 4xx,",
        "# 5xx, timeout, dns, tls, connection, error).",
        "# [[routing]]",
        "# url = \"/blog/**\"",
        "# team = \"content\"",
        "",
        "# Ignore: accepted findings, hidden from --fail-on gates and the main report and listed",
        "# separately in it with their reason. Match by fingerprint (`storeaudit report --format",
        "# csv` shows them; `storeaudit ignore FINGERPRINT --reason ...` stores one in the",
        "# database instead), or by code glob and/or page-path glob. reason is required.",
        "# [[ignore]]",
        "# fingerprint = \"3f1c0a9e5b7d2c41\"",
        "# reason = \"Partner page, removal agreed for March\"",
        "",
    ]
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)
