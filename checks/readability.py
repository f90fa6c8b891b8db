"""Hard-to-read text: readability scores and over-long sentences of a page's main content.

Scores come from textstat 0.7.4 (offline: it needs no NLTK download), in the page's language
where textstat has a Flesch formula for it (en, de, es, fr, it, nl, ru). Languages it does not
cover (Korean, Japanese, Chinese, ...) are never scored with English formulas: they are "not
assessed" for TEXT001 and get the language-neutral sentence-length check (TEXT002, counted in
characters for scripts written without spaces between words).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from checks.context import PageContext
from checks.page_kinds import LEGAL_URLS, PRODUCT_URLS, language, path_matches
from checks.registry import Finding, page_check
from checks.text_content import TextBlock, main_blocks, sentence_count, sentences, words
from crawler.extract import ParsedPage

if TYPE_CHECKING:
    from checks.textstat_scorer import Scorer

__all__ = ["FLESCH_LANGS", "Counts", "TextScores", "clear_caches", "reading_ease", "score_text"]

#: Languages textstat 0.7.4 has Flesch reading-ease constants for; FK grade is English-only.
FLESCH_LANGS = frozenset({"en", "de", "es", "fr", "it", "nl", "ru"})
#: Scripts written without spaces between words: sentence length is counted in characters.
CHARACTER_LANGS = frozenset({"ja", "zh", "ko", "th", "lo", "km", "my"})
_ENGLISH_MARKERS = frozenset({"the", "and", "of", "to", "is", "for", "with", "you", "your", "it", "in", "a"})
#: Distinct words whose syllables are remembered per language before the memo starts over.
SYLLABLE_MEMO_WORDS = 50_000
#: Paragraph counts whose reading ease is remembered per language before the memo starts over.
EASE_MEMO_COUNTS = 50_000


#: textstat 0.7.4's own sentences (``sentence_count``), which its formulas count.
_TEXTSTAT_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*", re.UNICODE)


class Counts(NamedTuple):
    """What textstat's formulas count in a text: words, sentences (those of two words or fewer
    are left out, with at least one in all) and syllables. A tuple: made, hashed and compared
    in C, ~30 times a page (a frozen dataclass sets each field through ``object.__setattr__``)."""

    words: int
    found: int  # sentences found
    short: int  # of which two words or fewer
    syllables: int

    def __add__(self, other: Counts) -> Counts:  # type: ignore[override]
        """The counts of two texts together (not the tuples joined)."""
        return Counts(self.words + other.words, self.found + other.found, self.short + other.short,
                      self.syllables + other.syllables)


def _short(sentence: str) -> bool:
    """``lexicon_count(sentence) <= 2``, as textstat counts, without its two passes to strip
    punctuation: stripping leaves a word wherever a run between spaces has a word character
    (what it keeps are word characters, spaces and apostrophes in contractions, which are
    followed by letters), so counting those runs up to three gives the same answer. Most
    sentences have three plain words first: only those three are split off and looked at
    (``str.isalnum`` is ``re``'s ``\\w`` less the underscore)."""
    head = sentence.split(None, 3)
    words = sum(1 for token in head[:3] if token.isalnum() or _WORD_CHARACTER.search(token))
    if words > 2 or len(head) < 4:
        return words <= 2
    for token in head[3].split():
        if token.isalnum() or _WORD_CHARACTER.search(token):
            words += 1
            if words > 2:
                return False
    return True


_WORD_CHARACTER = re.compile(r"\w")
_scorers: dict[str, Scorer] = {}


def _scorer(lang: str) -> Scorer:
    """textstat's formulas in ``lang`` (checks/textstat_scorer.py). textstat is imported on
    the first text scored, so a process that scores none never loads it (~0.3 s): the
    crawler, whose pages a worker reads (crawler/page_work.py)."""
    scorer = _scorers.get(lang)
    if scorer is None:
        from checks.textstat_scorer import Scorer

        scorer = _scorers[lang] = Scorer(lang)
    return scorer


@dataclass(frozen=True)
class TextScores:
    words: int
    sentences: int
    reading_ease: float
    grade: float | None  # Flesch-Kincaid grade: English only

    @property
    def avg_sentence_words(self) -> float:
        return round(self.words / max(1, self.sentences), 1)


@lru_cache(maxsize=1024)
def score_text(text: str, lang: str) -> TextScores:
    """Flesch reading ease (and FK grade for English) of ``text``; cached by text, so a
    paragraph repeated on many pages is scored once. 1,024 texts: on the generated catalogue
    8,192 hit 7 % of calls and held ~10 MB of unique product descriptions per process."""
    return _text_scores(text, lang, _counted(text, lang))


def _text_scores(text: str, lang: str, counts: Counts, n_words: int | None = None) -> TextScores:
    ease, grade = _scorer(lang).scores(text, counts)
    return TextScores(len(words(text)) if n_words is None else n_words, sentence_count(text), ease, grade)


@lru_cache(maxsize=256)
def reading_ease(text: str, lang: str) -> float:
    """Flesch reading ease of ``text`` alone: what ranks a page's sentences, which need no
    word, sentence or grade counts of their own. Cached for the page at hand; the formula is
    run once per distinct counts (``Scorer.ease``): sentences repeat the same few."""
    scorer = _scorer(lang)
    return scorer.ease(text, scorer.count(text))


@lru_cache(maxsize=1024)
def _counted(paragraph: str, lang: str) -> Counts:
    """textstat's counts of a paragraph, cached by text: one repeated on many pages (a delivery
    note, "You may also like") is counted once."""
    return _scorer(lang).count(paragraph)


def _page_scores(prose: list[str], text: str, lang: str, n_words: int) -> tuple[TextScores, str, TextScores]:
    """The scores of a page's text (its paragraphs, joined by newlines), its hardest paragraph
    and that paragraph's scores.

    Each paragraph is counted once. The text as a whole is scored from the sums of their
    counts when textstat would split it where the paragraphs end (each ends a sentence with
    ., ! or ?), which is how product copy reads; else it is counted as a whole. The sums were
    ~45 % of the readability check's CPU when the text was read a second time.
    """
    scorer = _scorer(lang)
    counted = [(paragraph, _counted(paragraph, lang)) for paragraph in prose]
    eases = [scorer.ease(paragraph, counts) for paragraph, counts in counted]
    hardest = min(range(len(prose)), key=eases.__getitem__)
    if all(paragraph[-1] in ".!?" for paragraph in prose[:-1]):
        total = sum((counts for _, counts in counted[1:]), counted[0][1])
    else:
        total = scorer.count(text)
    paragraph, counts = counted[hardest]
    return _text_scores(text, lang, total, n_words), paragraph, _text_scores(paragraph, lang, counts)


def warm_up() -> None:
    """Import textstat and build its English hyphenator now, not on the first page scored (a
    page worker does this while the crawl is still starting)."""
    _scorer("en")


def clear_caches() -> None:
    """Forget scored texts and counted words (the audit calls this before its report)."""
    score_text.cache_clear()
    reading_ease.cache_clear()
    _counted.cache_clear()
    for scorer in _scorers.values():
        scorer.syllables.clear()
        scorer.eases.clear()
        scorer._cache_clear()


def _scoring_language(page: ParsedPage, blocks: list[TextBlock]) -> str:
    """The language to score in, or '' for "not assessed"; a page without ``lang`` counts as
    English only when its words clearly are."""
    lang, _ = language(page)
    if lang:
        return lang if lang in FLESCH_LANGS else ""
    sample = [w.lower() for b in blocks[:50] for w in words(b.text)][:2000]
    if sample and sum(w in _ENGLISH_MARKERS for w in sample) / len(sample) >= 0.08:
        return "en"
    return ""


def _prose(blocks: list[TextBlock]) -> tuple[list[str], int]:
    """Blocks that are prose (not code, not single labels), each ending like a sentence, and
    their words in all (what ``words`` finds in them joined by newlines: no word spans two)."""
    out = []
    total = 0
    for b in blocks:
        n = 0 if b.code else len(words(b.text))
        if n < 4:
            continue
        out.append(b.text if b.text[-1:] in ".!?…:;" else b.text + ".")
        total += n
    return out, total


@dataclass(frozen=True)
class ReadabilityOptions:
    min_words: int = field(default=100, metadata={"help": "pages with fewer words of main content are not scored"})
    min_reading_ease: float = field(default=40.0, metadata={"help": "Flesch reading ease below this is hard (0-100, higher is easier)"})
    max_grade: float = field(default=12.0, metadata={"help": "Flesch-Kincaid grade above this is hard (English pages)"})
    max_avg_sentence_words: float = field(default=25.0, metadata={"help": "average words per sentence above this is hard"})
    strict_urls: tuple[str, ...] = field(default=PRODUCT_URLS, metadata={"help": "URL path globs held to the strict thresholds (product copy)"})
    strict_min_reading_ease: float = field(default=50.0, metadata={"help": "reading ease threshold on strict pages"})
    strict_max_grade: float = field(default=10.0, metadata={"help": "grade threshold on strict pages"})
    min_paragraph_words: int = field(default=40, metadata={"help": "a paragraph with at least this many words is also scored alone: one hard paragraph is reported even when the page as a whole reads well"})
    exclude_urls: tuple[str, ...] = field(default=LEGAL_URLS, metadata={"help": "URL path globs never scored (legal pages)"})


@page_check("TEXT001", "hard-to-read-text", category="complex-text", severity="warning", team="content",
            title="Text that is hard to read", options=ReadabilityOptions)
def hard_to_read(page: ParsedPage, options: ReadabilityOptions, context: PageContext) -> Iterator[Finding]:
    """The page's main content scores as hard to read: a low Flesch reading ease, a high
    Flesch-Kincaid grade or long sentences on average (navigation, footer, scripts and forms
    are not counted). Shoppers skim; text they have to read twice is text they skip, along
    with the product facts in it. The finding quotes the hardest sentences with the scores.

    Split long sentences, prefer short everyday words to long technical ones, and put one
    idea in each paragraph. Thresholds are set per URL pattern in ``[checks.TEXT001]``
    (product copy stricter than guides); legal pages and very short texts are not scored,
    and languages textstat has no formula for are not assessed.
    """
    if path_matches(page.url, options.exclude_urls):
        return
    blocks = main_blocks(page)
    lang = _scoring_language(page, blocks)
    prose, n_words = _prose(blocks)
    if not lang or n_words < options.min_words:
        return
    text = "\n".join(prose)
    strict = path_matches(page.url, options.strict_urls)
    min_ease = options.strict_min_reading_ease if strict else options.min_reading_ease
    max_grade = options.strict_max_grade if strict else options.max_grade
    scores, paragraph, worst = _page_scores(prose, text, lang, n_words)
    problems = []
    if scores.reading_ease < min_ease:
        problems.append(f"reading ease {scores.reading_ease} (under {min_ease})")
    if scores.grade is not None and scores.grade > max_grade:
        problems.append(f"grade {scores.grade} (over {max_grade})")
    if scores.avg_sentence_words > options.max_avg_sentence_words:
        problems.append(f"{scores.avg_sentence_words} words per sentence (over {options.max_avg_sentence_words})")
    if worst.words >= options.min_paragraph_words and worst.reading_ease < min_ease and not problems:
        problems.append(f"a paragraph with reading ease {worst.reading_ease} (under {min_ease})")
    if not problems:
        return
    hardest = _hardest_sentences(prose, lang)
    yield Finding(
        code="TEXT001", page=page.url, group=page.url,
        message="Hard to read: " + "; ".join(problems) + ". Split long sentences, prefer shorter words.",
        evidence={"quote": hardest[0] if hardest else paragraph[:300], "hardest_sentences": hardest,
                  "reading_ease": scores.reading_ease, "grade": scores.grade,
                  "avg_sentence_words": scores.avg_sentence_words, "words": scores.words, "language": lang,
                  "hardest_paragraph": {"text": paragraph[:300], "reading_ease": worst.reading_ease,
                                        "grade": worst.grade},
                  "element": "main", "region": "main"})


def _hardest_sentences(prose: list[str], lang: str, n: int = 2) -> list[str]:
    candidates = [s for p in prose for s in sentences(p) if len(words(s)) >= 8]
    candidates.sort(key=lambda s: (reading_ease(s, lang), -len(s)))
    return [s[:300] for s in candidates[:n]]


@dataclass(frozen=True)
class SentenceOptions:
    max_words: int = field(default=35, metadata={"help": "a sentence with more words is reported"})
    max_characters: int = field(default=90, metadata={"help": "for scripts without spaces between words (Japanese, Chinese, Korean, Thai): a sentence with more characters is reported"})
    exclude_urls: tuple[str, ...] = field(default=LEGAL_URLS, metadata={"help": "URL path globs not checked (legal pages)"})


@page_check("TEXT002", "overlong-sentence", category="complex-text", severity="notice", team="content",
            title="Sentence too long to read in one go", options=SentenceOptions)
def overlong_sentence(page: ParsedPage, options: SentenceOptions, context: PageContext) -> Iterator[Finding]:
    """A sentence of the page's main content runs over the configured number of words
    (or characters, for languages written without spaces such as Japanese, Chinese and
    Korean). Readers lose the thread of long sentences, on phones most of all. This
    measure works in every language; the finding quotes the longest sentences.

    Split the sentence in two or three, one idea each; turn lists of conditions into a
    bulleted list.
    """
    if path_matches(page.url, options.exclude_urls):
        return
    lang, _ = language(page)
    by_chars = lang in CHARACTER_LANGS
    limit = options.max_characters if by_chars else options.max_words
    long_ones: list[tuple[int, str]] = []
    for block in main_blocks(page):
        if block.code or (len(block.text) if by_chars else block.text.count(" ") + 1) <= limit:
            continue  # a block this short holds no long sentence
        for sentence in sentences(block.text):
            size = len(sentence) if by_chars else len(words(sentence))
            if size > limit:
                long_ones.append((size, sentence))
    if not long_ones:
        return
    long_ones.sort(key=lambda x: -x[0])
    unit = "characters" if by_chars else "words"
    size, first = long_ones[0]
    yield Finding(
        code="TEXT002", page=page.url, group=first[:200].lower(),
        message=f"{len(long_ones)} sentence(s) over {limit} {unit}, the longest {size}: split them",
        evidence={"quote": first[:300], "sentences": [s[:300] for _, s in long_ones[:3]], "longest": size,
                  "unit": unit, "limit": limit, "element": "p", "region": "main"})
