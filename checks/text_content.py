"""The text a shopper reads: visible text of a page, split into blocks (paragraphs, list items).

Shared by the content checks (readability, stale dates, leaked errors, placeholders) so they
all read the same text. ``main_blocks`` leaves out what is not the page's own content:
navigation, header, footer, asides, scripts, styles, forms, templates and noscript;
``visible_blocks`` keeps header/nav/footer (a leaked error is a defect wherever it shows).
Both are computed once per page and kept on the :class:`ParsedPage` while it is checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

from lxml import etree

from crawler.extract import HINTS_REMEMBERED, TEMPLATE_PARTS, ParsedPage

__all__ = ["TextBlock", "joined_after_abbreviations", "main_blocks", "main_text", "sentence_count", "sentences",
           "visible_blocks", "visible_text_lower", "word_count", "words"]

#: Never visible text, or not text a shopper reads as content.
_INVISIBLE = frozenset({"script", "style", "template", "noscript", "head", "title", "svg", "math", "object",
                        "iframe", "select", "option", "datalist", "textarea"})
_NOT_MAIN = frozenset({"nav", "aside", "form", "button", "dialog"})
_NOT_MAIN_ROLES = frozenset({"banner", "navigation", "contentinfo", "complementary", "search", "dialog"})
_HINT = re.compile(r"(?:^|[-_ ])(header|masthead|nav|navbar|navigation|menu|footer|breadcrumbs?|cookie-banner)(?:$|[-_ ])")
_SECTIONING = frozenset({"article", "section", "main"})
_BLOCK = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dd", "dt", "blockquote",
                    "figcaption", "caption", "pre", "div", "section", "article", "main", "body", "ul", "ol",
                    "dl", "table", "tr", "address", "header", "footer", "figure", "br", "hr", "summary",
                    "details", "label", "legend", "fieldset"})

#: The blocks of a template part (crawler.extract.TEMPLATE_PARTS: header, menu, footer) are
#: kept by its markup, so the next page with the same markup skips its walk.
_TEMPLATE_PARTS = frozenset(TEMPLATE_PARTS)
_REPEATED_MAX = 32


@dataclass(frozen=True, slots=True)
class TextBlock:
    """One block of visible text (a paragraph, heading, list item...) and its element's tag."""

    tag: str
    text: str
    code: bool = False  # inside <code>/<pre>/<kbd>/<samp>: shown as code, not prose
    main: bool = True  # part of the page's own content (not nav/header/footer/aside/forms)


def _hidden(el: etree._Element) -> bool:
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return True
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def _outside_main(el: etree._Element, tag: str, in_section: bool, attributes: bool = True) -> bool:
    role = (el.get("role") or "").lower() if attributes else ""
    if tag in _NOT_MAIN or role in _NOT_MAIN_ROLES:
        return True
    if tag in ("header", "footer") and not in_section:
        return True
    if attributes:
        for hint in (el.get("id"), el.get("class")):
            if hint and _hinted(hint):
                return True
    return False


@lru_cache(maxsize=HINTS_REMEMBERED)
def _hinted(value: str) -> bool:
    """Whether an id or class names a header, menu, footer... (``_HINT``): remembered, as the
    pages of a store repeat their classes, and the pattern took ~3 µs a class."""
    return _HINT.search(value.lower()) is not None


#: (markup, in a section, in code, in main content) -> (blocks, the tag text after them goes with)
_REPEATED: dict[tuple[bytes, bool, bool, bool], tuple[tuple[TextBlock, ...], str]] = {}


def _remember(key: tuple[bytes, bool, bool, bool], walked: tuple[tuple[TextBlock, ...], str]) -> None:
    if len(_REPEATED) >= _REPEATED_MAX:  # a store whose header changes from page to page
        _REPEATED.clear()
    _REPEATED[key] = walked


def _blocks(root: etree._Element | None, markup: Callable[[etree._Element], bytes] | None = None) -> list[TextBlock]:
    """Every visible block of text in document order, each marked main content or not.

    A recursive walk over every element of the page, ~1 ms a product page: each element's
    tag, text and tail are read once, and its attributes only when it has any."""
    if root is None:
        return []
    body = root.find(".//body")
    start = body if body is not None else root
    out: list[TextBlock] = []
    buf: list[str] = []
    # the block being read: its element's tag, and whether it is code and main content
    cur_tag: str = str(start.tag)
    cur_code, cur_main = False, True

    def flush() -> None:
        if not buf:
            return
        text = " ".join("".join(buf).split())  # each run of whitespace as one space
        buf.clear()
        if text:
            out.append(TextBlock(cur_tag, text, cur_code, cur_main))

    def walk(el: etree._Element, in_section: bool, in_code: bool, in_main: bool) -> None:
        nonlocal cur_tag, cur_code, cur_main
        tag = el.tag
        if not isinstance(tag, str) or not tag or tag in _INVISIBLE:
            return
        keys = el.keys()
        attributes = bool(keys)
        if attributes and ("hidden" in keys or "aria-hidden" in keys or "style" in keys) and _hidden(el):
            return
        main = in_main and not _outside_main(el, tag, in_section, attributes)
        code = in_code or tag in ("pre", "code", "kbd", "samp")
        new_block = tag in _BLOCK or code != in_code or main != in_main
        if new_block:
            flush()
            cur_tag, cur_code, cur_main = tag, code, main
        if new_block and tag in _TEMPLATE_PARTS:
            key = (markup(el) if markup else etree.tostring(el, with_tail=False), in_section, in_code, in_main)
            known = _REPEATED.get(key)
            if known is None:
                start = len(out)
                walk_inside(el, tag, in_section, code, main)
                flush()
                _remember(key, (tuple(out[start:]), cur_tag))
            else:
                out.extend(known[0])
                cur_tag = known[1]
            cur_code, cur_main = in_code, in_main
            return
        walk_inside(el, tag, in_section, code, main)
        if new_block:
            flush()
            cur_code, cur_main = in_code, in_main
        elif tag in ("td", "th", "span", "a"):
            buf.append(" ")

    def walk_inside(el: etree._Element, tag: str, in_section: bool, code: bool, main: bool) -> None:
        """The element's text and its children's, with their tails; a block is flushed at its end."""
        nonlocal cur_code, cur_main
        text = el.text
        if text:
            buf.append(text)
        section = in_section or tag in _SECTIONING
        for child in el:
            walk(child, section, code, main)
            tail = child.tail
            if tail:
                if cur_code != code or cur_main != main:
                    flush()
                    cur_code, cur_main = code, main
                buf.append(tail)

    try:
        walk(start, False, False, True)
    except RecursionError:  # absurdly deep markup: keep what was read
        pass
    flush()
    return out


def visible_blocks(page: ParsedPage) -> list[TextBlock]:
    """Blocks of every visible text on the page, template parts included (one walk per page)."""
    cache = page.derived
    if "visible_blocks" not in cache:
        cache["visible_blocks"] = _blocks(page.root, page.markup)
    return cache["visible_blocks"]  # type: ignore[no-any-return]


def visible_text_lower(page: ParsedPage) -> str:
    """The visible blocks' text, one block a line, lower-cased once per page: checks look for
    their anchor words in it before they read a block. A phrase without a line break found in
    the main blocks is found here too (they are some of these blocks, and no block holds a
    line break), so a check of the main text may look here first."""
    cache = page.derived
    if "visible_text_lower" not in cache:
        cache["visible_text_lower"] = "\n".join(b.text for b in visible_blocks(page)).lower()
    return cache["visible_text_lower"]  # type: ignore[no-any-return]


def main_blocks(page: ParsedPage) -> list[TextBlock]:
    """Blocks of the page's own content (no nav/header/footer/aside/forms/scripts)."""
    cache = page.derived
    if "main_blocks" not in cache:
        cache["main_blocks"] = [b for b in visible_blocks(page) if b.main]
    return cache["main_blocks"]  # type: ignore[no-any-return]


def main_text(page: ParsedPage) -> str:
    return "\n".join(b.text for b in main_blocks(page))


#: Where a sentence ends: after ., !, ? or … (closing quotes and brackets dropped) and space; after 。！？ always.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[^\s])|(?<=[。！？])")
#: The same ends in text without 。！？, the end mark captured rather than looked behind for:
#: a pattern that starts with a character class lets re skip to the marks (~2 x faster on a
#: product page's paragraphs), where a lookbehind is tried at every character.
_LATIN_SENTENCE_END = re.compile(r"([.!?…])[\"'”’)\]]*\s+(?=[^\s])")
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|etc|approx|incl|Mr|Mrs|Ms|Dr|St|No|vs|ca|z\.B|bzw|usw)\.)$", re.I)
_ABBREV_TAIL = 8
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


def sentences(text: str) -> list[str]:
    """Split a block into sentences (., !, ? followed by space; 。！？ always), keeping abbreviations."""
    if "。" in text or "！" in text or "？" in text:
        split = _SENTENCE_END.split(text)
    else:  # pieces and their end marks in turn: each sentence with its mark, as the lookbehind keeps it
        pieces = _LATIN_SENTENCE_END.split(text)
        split = [piece + mark for piece, mark in zip(pieces[::2], pieces[1::2])] + pieces[-1:]
    return joined_after_abbreviations(p.strip() for p in split if p and p.strip())


def sentence_count(text: str) -> int:
    """``len(sentences(text))``, without making the sentences (TEXT001 counts a page's): each
    end mark the pattern splits at ends one more sentence, unless the sentence it ends ends
    with an abbreviation, and the next one is joined to it."""
    if "。" in text or "！" in text or "？" in text:
        return len(sentences(text))
    count, start = 1, 0
    for m in _LATIN_SENTENCE_END.finditer(text):
        end = m.end(1)  # a sentence's own end mark; what follows up to the next is dropped
        if not _ABBREV.search(text[max(start, end - _ABBREV_TAIL):end]):
            count += 1
        start = m.end()
    return count if start or text.strip() else 0


def joined_after_abbreviations(parts: Iterable[str]) -> list[str]:
    """Sentences: each part joined to the one before when that ends with an abbreviation."""
    out: list[str] = []
    for part in parts:
        # an abbreviation is at most 7 characters long: the 8th from the end settles its \b
        if out and _ABBREV.search(out[-1][-_ABBREV_TAIL:]):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def word_count(text: str, at_most: int) -> int:
    """``len(words(text))``, counted no further than ``at_most``: a check that asks "at least
    20 words?" of a 600-word product description stops at the 20th."""
    return sum(1 for _ in islice(_WORD.finditer(text), at_most))
