"""Leaked error messages: visible text that shows the platform failed while building the page.

Patterns are the fingerprints of real failures (a PHP error names its .php file and line, a
Python traceback starts with "Traceback (most recent call last)", SQL errors carry their
engine's codes) rather than words that also occur in prose; "undefined" and "NaN" count only
inside prices and product names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks.context import PageContext
from checks.registry import Finding, page_check
from checks.text_content import visible_blocks, visible_text_lower
from crawler.extract import ParsedPage

_PLATFORM_ERRORS = re.compile("|".join([
    # PHP
    r"\b(?:Fatal error|Parse error|Warning|Notice|Deprecated|Catchable fatal error|Strict Standards)\s*:\s+"
    r"[^\n]{1,300}?\bin\s+\S+\.(?:php|phtml|inc)\b(?:\s+on\s+line\s+\d+)?",
    r"\bPHP (?:Fatal error|Warning|Notice|Parse error|Deprecated):",
    r"\bUncaught (?:[A-Z]\w*\\)*[A-Z]\w*(?:Exception|Error)\b",
    # Python, Java, .NET, Ruby, Node
    r"Traceback \(most recent call last\)",
    r"\bat [\w$.]+\((?:[\w$]+\.java|Native Method|Unknown Source):?\d*\)",
    r"\bException in thread \"[^\"]+\"",
    r"Server Error in '[^']*' Application",
    r"\bSystem\.[A-Z]\w+Exception\b",
    r"\b[A-Z]\w+(?:Error|Exception) at /[\w/.-]+",  # Django debug page title
    r"\bActionView::Template::Error\b|\bNoMethodError\b.*\bfor nil\b",
    r"\bat (?:Object|Module)\.<anonymous> \(",
    # SQL
    r"You have an error in your SQL syntax",
    r"\bORA-\d{5}\b",
    r"\bSQLSTATE\[\w+\]",
    r"\bPDOException\b",
    r"Unclosed quotation mark after the character string",
    r"\bpg_(?:query|exec)\(\)",
    r"\bmysqli?_\w+\(\) expects parameter",
    r"Microsoft OLE DB Provider for",
    r"\bpsycopg2?\.\w+(?:Error|Exception)\b",
    r"\bsqlite3\.(?:Operational|Integrity|Programming)Error\b",
    r"\bERROR:\s+(?:syntax error at or near|relation \"[^\"]+\" does not exist|duplicate key value)",
]))
#: Words one of _PLATFORM_ERRORS always contains (lower case): a fast test before the slow regex.
_ERROR_ANCHORS = ("error", "warning", "notice", "deprecated", "strict standards", "uncaught", "traceback",
                  "exception", ".java", "ora-", "sqlstate", "unclosed quotation", "pg_", "mysql", "ole db", "anonymous")
_PLACEHOLDER = re.compile(
    r"\{\{\s*[\w.$\[\]'\"|: ()-]{1,80}?\s*\}\}"  # {{ product.name }}, {{ price | money }}
    r"|\{%-?\s*(?:if|for|block|include|trans|endif|endfor|else|set|render|assign)\b[^%]{0,80}-?%\}"
    r"|\$\{\s*[A-Za-z_][\w.\[\]]{0,60}\s*\}"  # ${price}
    r"|\[%\s*[\w.]+\s*%\]|%%[A-Z_]{3,40}%%|\{\$[A-Za-z_][\w.]*\}"
)
_BROKEN_VALUE = re.compile(r"\b(?:undefined|NaN|null|Infinity)\b|\[object Object\]")
_ALWAYS_BROKEN = re.compile(r"\[object Object\]|[£$€¥]\s?(?:NaN|undefined|null)\b|\b(?:NaN|undefined)\s?[£$€¥]")
_PRICE_HINT = re.compile(r"price|amount|total|cost")
_NAME_HINT = re.compile(r"product[-_]?(?:name|title)|item[-_]?(?:name|title)|^name$|^title$")
_PRICE_PROPS = frozenset({"price", "lowprice", "highprice", "pricecurrency"})
#: A name is broken when it IS the value ("undefined"), not when a title mentions the word.
_BROKEN_NAME = re.compile(r"^(?:undefined|NaN|null)$|\[object Object\]")


def _finding(code: str, page: ParsedPage, quote: str, found: str, message: str, element: str = "p",
             region: str = "main") -> Finding:
    return Finding(code=code, page=page.url, group=found[:200], region=region,
                   message=f'{message}: "{found[:120]}"',
                   evidence={"quote": quote[:300], "match": found[:200], "element": element, "region": region})


@page_check("ERR001", "leaked-platform-error", category="error-message", severity="error", team="it",
            title="Error message of the platform shown on the page")
def leaked_error(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """The page shows a platform failure as text: a PHP warning or fatal error, a stack trace
    ("Traceback (most recent call last)", Java/.NET exceptions) or a database error ("You have
    an error in your SQL syntax", ORA-00942, SQLSTATE). Shoppers see a broken shop, often
    with missing content, and the message can reveal file paths and queries to attackers.

    Fix the failing code or query; switch off error display on the live site
    (``display_errors = Off``, ``DEBUG = False``) and log errors instead.
    """
    blocks = visible_blocks(page)
    everything = visible_text_lower(page)
    if not any(a in everything for a in _ERROR_ANCHORS):
        return  # most pages: one look at all their text instead of one per block (~0.3 ms)
    for block in blocks:
        low = block.text.lower()
        if not any(a in low for a in _ERROR_ANCHORS):
            continue
        for m in _PLATFORM_ERRORS.finditer(block.text):
            yield _finding("ERR001", page, block.text, m.group(0), "Platform error shown on the page", block.tag)
            break


@page_check("ERR002", "unrendered-template-placeholder", category="error-message", severity="error", team="it",
            title="Template placeholder shown instead of its value")
def unrendered_placeholder(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """The page shows template code instead of content: ``{{ product.name }}``, ``${price}``,
    ``{% if ... %}``. The template engine did not fill in the value, so the shopper sees code
    where a name, price or message should be. Text shown as code (``<code>``, ``<pre>``) is
    not reported.

    Find the template or content block that prints the placeholder and fix the variable name
    or the data it reads; check that the page is rendered by the template engine at all.
    """
    for block in visible_blocks(page):
        if block.code or not ("{" in block.text or "[%" in block.text or "%%" in block.text):
            continue
        found = [m.group(0) for m in _PLACEHOLDER.finditer(block.text)]
        if found:  # one finding per block: "{% if %}x{% endif %}" is one defect
            finding = _finding("ERR002", page, block.text, found[0], "Unrendered placeholder", block.tag)
            finding.evidence["placeholders"] = found[:10]
            yield finding


@page_check("ERR003", "broken-price-or-name", category="error-message", severity="error", team="it",
            title="Price or product name shown as undefined, NaN or [object Object]")
def broken_value(page: ParsedPage, options: None, context: PageContext) -> Iterator[Finding]:
    """A price or product name reads "undefined", "NaN", "null" or "[object Object]": a
    script or template computed it from data that was missing. Shoppers cannot buy what has
    no price. Only prices (schema.org ``price``, elements whose class says price, amount, total
    or cost), names that are nothing but such a value, and currency amounts such as "£NaN"
    anywhere count; the same words in prose ("the undefined area", a post titled "Why null
    hypotheses matter") are not reported.

    Fix the script or template that formats the value, and the product data it reads
    (often a missing price or a variant without a name).
    """
    root = page.root
    if root is None:
        return
    text = page.text()
    if not any(w in text for w in ("undefined", "NaN", "null", "Infinity", "[object Object]")):
        return  # nothing broken anywhere: skip the walk over every element
    candidates: list[tuple[str, str, str]] = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "template", "noscript", "head", "title", "meta"):
            continue
        props = set((el.get("itemprop") or "").lower().split())
        hints = f"{el.get('class') or ''} {el.get('id') or ''}".lower().split()
        price = bool(props & _PRICE_PROPS) or any(_PRICE_HINT.search(h) for h in hints)
        if not (price or "name" in props or any(_NAME_HINT.search(h) for h in hints)):
            continue
        text = " ".join(el.text_content().split())
        if len(text) > 120:
            continue
        if (_BROKEN_VALUE if price else _BROKEN_NAME).search(text):
            candidates.append((text, el.tag, page.region(el)))
    seen: set[str] = set()
    for text, tag, region in candidates:  # the innermost element says it best: "£NaN", not "£NaN In stock"
        if text in seen or any(other != text and other in text for other, _, _ in candidates):
            continue
        seen.add(text)
        yield _finding("ERR003", page, text, text, "Broken price or name", tag, region)
    for block in visible_blocks(page):
        for m in _ALWAYS_BROKEN.finditer(block.text):
            if not any(m.group(0) in s or s in m.group(0) for s in seen):
                seen.add(m.group(0))
                yield _finding("ERR003", page, block.text, m.group(0), "Broken price or name", block.tag)
