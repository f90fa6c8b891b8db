"""Hard-to-read text: readability scores and over-long sentences of a page's main content.

Scores come from textstat 0.7.4 (offline: it needs no NLTK download), in the page's language
where textstat has a Flesch formula for it (en, de, es, fr, it, nl, ru). Languages it does not
cover (Korean, Japanese, Chinese, ...) are never scored with English formulas: they are "not
assessed" for TEXT001 and get the language-neutral sentence-length check (TEXT002, counted in
characters for scripts written without spaces between words).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from textstat.textstat import textstatistics

from checks.context import PageContext
from checks.page_kinds import LEGAL_URLS, PRODUCT_URLS, language, path_matches
from checks.registry import Finding, page_check
from checks.text_content import TextBlock, main_blocks, sentences, words
from crawler.extract import ParsedPage

__all__ = ["FLESCH_LANGS", "TextScores", "clear_caches", "reading_ease", "score_text"]

#: Languages textstat 0.7.4 has Flesch reading-ease constants for; FK grade is English-only.
FLESCH_LANGS = frozenset({"en", "de", "es", "fr", "it", "nl", "ru"})
#: Scripts written without spaces between words: sentence length is counted in characters.
CHARACTER_LANGS = frozenset({"ja", "zh", "ko", "th", "lo", "km", "my"})
_ENGLISH_MARKERS = frozenset({"the", "and", "of", "to", "is", "for", "with", "you", "your", "it", "in", "a"})
#: Distinct words whose syllables are remembered per language before the memo starts over.
SYLLABLE_MEMO_WORDS = 50_000


class _Scorer(textstatistics):
    """textstat's formulas in one language, with each distinct word's syllables counted once.

    textstat asks pyphen for every word of every text it scores, and a page's paragraphs and
    sentences are scored alone as well as together: that was about a fifth of the CPU of page
    work. Counting per distinct word gives the same sum (textstat splits the lower-cased text
    without punctuation on whitespace and adds up each word's count). One instance per
    language also replaces textstat's global ``set_lang``, so no lock is needed, and English
    is always hyphenated with textstat's default ``en_US`` patterns (pyphen's plain ``en``
    differs; with the global ``set_lang`` it was used for English after any other language).
    """

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.set_lang("en_US" if lang == "en" else lang)
        self.syllables: dict[str, int] = {}
        self._last: tuple[str, int] = ("", 0)

    def syllable_count(self, text: str, lang: str | None = None) -> int:
        # The FK grade asks again for the text whose reading ease was just worked out
        # (textstat's own cache of this method keys the two calls differently).
        if text is self._last[0]:
            return self._last[1]
        words_ = self.remove_punctuation(text.lower()).split()
        memo = self.syllables
        if len(memo) > SYLLABLE_MEMO_WORDS:
            memo.clear()
        count = 0
        for word in words_:
            n = memo.get(word)
            if n is None:
                n = memo[word] = len(self.pyphen.positions(word)) + 1
            count += n
        self._last = (text, count)
        return count


_scorers: dict[str, _Scorer] = {}


def _scorer(lang: str) -> _Scorer:
    scorer = _scorers.get(lang)
    if scorer is None:
        scorer = _scorers[lang] = _Scorer(lang)
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
    grade = float(_scorer(lang).flesch_kincaid_grade(text)) if lang == "en" else None
    return TextScores(len(words(text)), len(sentences(text)), reading_ease(text, lang), grade)


@lru_cache(maxsize=256)
def reading_ease(text: str, lang: str) -> float:
    """Flesch reading ease of ``text`` alone: what ranks a page's paragraphs and sentences,
    which need no word, sentence or grade counts of their own. Cached for the page at hand
    (its hardest paragraph is scored again in full); few texts repeat across pages."""
    return round(float(_scorer(lang).flesch_reading_ease(text)), 1)


def clear_caches() -> None:
    """Forget scored texts and counted words (the audit calls this before its report)."""
    score_text.cache_clear()
    reading_ease.cache_clear()
    for scorer in _scorers.values():
        scorer.syllables.clear()
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


def _prose(blocks: list[TextBlock]) -> list[str]:
    """Blocks that are prose (not code, not single labels), each ending like a sentence."""
    out = []
    for b in blocks:
        if b.code or len(words(b.text)) < 4:
            continue
        text = b.text if b.text[-1:] in ".!?…:;" else b.text + "."
        out.append(text)
    return out


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
    prose = _prose(blocks)
    text = "\n".join(prose)
    if not lang or len(words(text)) < options.min_words:
        return
    strict = path_matches(page.url, options.strict_urls)
    min_ease = options.strict_min_reading_ease if strict else options.min_reading_ease
    max_grade = options.strict_max_grade if strict else options.max_grade
    scores = score_text(text, lang)
    problems = []
    if scores.reading_ease < min_ease:
        problems.append(f"reading ease {scores.reading_ease} (under {min_ease})")
    if scores.grade is not None and scores.grade > max_grade:
        problems.append(f"grade {scores.grade} (over {max_grade})")
    if scores.avg_sentence_words > options.max_avg_sentence_words:
        problems.append(f"{scores.avg_sentence_words} words per sentence (over {options.max_avg_sentence_words})")
    paragraph = min(prose, key=lambda p: reading_ease(p, lang))
    worst = score_text(paragraph, lang)
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
