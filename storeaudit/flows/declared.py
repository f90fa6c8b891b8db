"""Declared flows: a store's own checkout script from the config, walked like a discovered one.

    [[flows.declared]]
    name = "guest checkout"
    start = "/product/copper-kettle"            # URL or path on the store
    steps = [
      { submit = "form.add-to-basket", expect_text = "Copper Stovetop Kettle" },
      { follow = "main a[href*=checkout]", expect_selector = "form input[type=email]" },
      { submit = "form.checkout", fields = { email = "${SHOPPER_EMAIL}" } },
    ]

A step does one of ``open`` (a URL or path), ``follow`` (CSS selector of a link) or
``submit`` (CSS selector of a form, sent with its default values plus ``fields``; a value
``${NAME}`` is read from the environment and never stored), then asserts ``expect_text``
and ``expect_selector`` on the page it lands on. Every request still passes the stop list:
a declared step that would place an order is refused and the flow ends there.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from lxml.html import FormElement

from crawler.forms import button_text
from storeaudit.flows.discovered import form_data, loaded, text_of
from storeaudit.flows.walker import Page, Walker

__all__ = ["DeclaredFlow", "DeclaredStep", "parse_declared", "walk_declared"]

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_STEP_KEYS = {"name", "open", "follow", "submit", "fields", "expect_text", "expect_selector"}
_ACTIONS = ("open", "follow", "submit")


@dataclass(frozen=True)
class DeclaredStep:
    name: str
    open: str = ""
    follow: str = ""
    submit: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    expect_text: str = ""
    expect_selector: str = ""


@dataclass(frozen=True)
class DeclaredFlow:
    name: str
    start: str
    steps: tuple[DeclaredStep, ...]


class DeclaredFlowError(ValueError):
    """A declared flow in the config is malformed: (key, message) for ConfigError."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def parse_declared(raw: Any) -> list[DeclaredFlow]:
    """Validate ``[[flows.declared]]`` tables; raises :class:`DeclaredFlowError`."""
    if not isinstance(raw, list):
        raise DeclaredFlowError("flows.declared", "expected an array of tables ([[flows.declared]])")
    flows = []
    for i, body in enumerate(raw):
        key = f"flows.declared[{i}]"
        if not isinstance(body, dict):
            raise DeclaredFlowError(key, "expected a table")
        unknown = set(body) - {"name", "start", "steps"}
        if unknown:
            raise DeclaredFlowError(f"{key}.{sorted(unknown)[0]}", "unknown key; a flow takes name, start, steps")
        for name in ("name", "start"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise DeclaredFlowError(f"{key}.{name}", "expected a non-empty string")
        steps = body.get("steps", [])
        if not isinstance(steps, list) or not steps:
            raise DeclaredFlowError(f"{key}.steps", "expected a non-empty array of step tables")
        flows.append(DeclaredFlow(name=body["name"], start=body["start"],
                                  steps=tuple(_parse_step(f"{key}.steps[{n}]", s, n) for n, s in enumerate(steps, 1))))
    return flows


def _parse_step(key: str, body: Any, n: int) -> DeclaredStep:
    if not isinstance(body, dict):
        raise DeclaredFlowError(key, "expected a table")
    unknown = set(body) - _STEP_KEYS
    if unknown:
        raise DeclaredFlowError(f"{key}.{sorted(unknown)[0]}", f"unknown key; a step takes {', '.join(sorted(_STEP_KEYS))}")
    actions = [a for a in _ACTIONS if a in body]
    if len(actions) != 1:
        raise DeclaredFlowError(key, "a step does exactly one of open, follow, submit")
    for name in _STEP_KEYS - {"fields"}:
        if name in body and not isinstance(body[name], str):
            raise DeclaredFlowError(f"{key}.{name}", "expected a string")
    for name in ("follow", "submit", "expect_selector"):
        if body.get(name):
            try:
                CSSSelector(body[name])
            except SelectorError as exc:
                raise DeclaredFlowError(f"{key}.{name}", f"not a valid CSS selector: {exc}") from None
    fields = body.get("fields", {})
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise DeclaredFlowError(f"{key}.fields", "expected a table of field names and string values")
    return DeclaredStep(name=body.get("name") or f"{actions[0]} {n}", open=body.get("open", ""),
                        follow=body.get("follow", ""), submit=body.get("submit", ""),
                        fields=tuple(fields.items()), expect_text=body.get("expect_text", ""),
                        expect_selector=body.get("expect_selector", ""))


def walk_declared(walker: Walker, flow: DeclaredFlow, base: str) -> None:
    """Walk a declared flow; raises ``StepFailed`` at the first failed step."""
    step, page = walker.step("start", "GET", urljoin(base, flow.start))
    current = loaded(walker, step, page, "the start page loads")
    for declared in flow.steps:
        current = _do(walker, declared, current)


def _do(walker: Walker, declared: DeclaredStep, page: Page) -> Page:
    if declared.open:
        step, answer = walker.step(declared.name, "GET", urljoin(page.url, declared.open), referer=page.url)
    elif declared.follow:
        link = _select(page, declared.follow)
        href = link.get("href") if link is not None else None
        if not href:
            raise walker.missing(declared.name, "", assertion="the link is on the page", failure="no-link",
                                 detail=f"no link matches {declared.follow!r}")
        step, answer = walker.step(declared.name, "GET", urljoin(page.url, href), referer=page.url)
    else:
        form = _select(page, declared.submit)
        if not isinstance(form, FormElement):
            raise walker.missing(declared.name, "", assertion="the form is on the page", failure="no-form",
                                 detail=f"no form matches {declared.submit!r}")
        data, missing = _fill(form, declared.fields)
        action = urljoin(page.url, form.get("action") or page.url)
        if missing:
            raise walker.missing(declared.name, action, method=(form.method or "GET").upper(),
                                 assertion="the form's values are configured", failure="config",
                                 detail=f"environment variable {missing} is not set")
        step, answer = walker.step(declared.name, (form.method or "GET").upper(), action, data=data,
                                   button=button_text(form), referer=page.url)
    expected = " and ".join(filter(None, (f"text {declared.expect_text!r}" if declared.expect_text else "",
                                          f"selector {declared.expect_selector!r}" if declared.expect_selector else "")))
    result = loaded(walker, step, answer, "the page loads" + (f" and shows {expected}" if expected else ""))
    if declared.expect_text and declared.expect_text.lower() not in text_of(result.root).lower():
        raise walker.fail(step, "missing-text", f"the page does not show {declared.expect_text!r}")
    if declared.expect_selector and _select(result, declared.expect_selector) is None:
        raise walker.fail(step, "missing-element", f"nothing on the page matches {declared.expect_selector!r}")
    return result


def _select(page: Page, selector: str):  # type: ignore[no-untyped-def]
    found = CSSSelector(selector)(page.root)
    return found[0] if found else None


def _fill(form: FormElement, fields: tuple[tuple[str, str], ...]) -> tuple[list[tuple[str, str]], str]:
    """The form's default values with ``fields`` set; ``${NAME}`` from the environment."""
    data = form_data(form)
    for name, value in fields:
        for var in _ENV.findall(value):
            if var not in os.environ:
                return [], var
        data = [(k, v) for k, v in data if k != name] + [(name, _ENV.sub(lambda m: os.environ[m.group(1)], value))]
    return data, ""
