"""textstat's readability formulas on counts worked out once (checks/readability.py uses it).

A module of its own so that textstat (~0.3 s to import: it loads ``pkg_resources`` and builds
an English hyphenator) is imported by the processes that score text, and only by them.
"""

from __future__ import annotations

import re

from textstat.textstat import textstatistics

from checks.readability import _TEXTSTAT_SENTENCE, EASE_MEMO_COUNTS, SYLLABLE_MEMO_WORDS, Counts, _short

__all__ = ["Scorer"]

#: textstat's ``remove_punctuation`` when it removes apostrophes too (its default), compiled
#: once: ``re.sub`` with the pattern as a string looked it up in ``re``'s cache on each call.
_PUNCTUATION = re.compile(r"[^\w\s]")
#: The same for ASCII text, as a table for ``str.translate`` (in C, ~10 x faster than the
#: pattern): every ASCII character the pattern removes, worked out from the pattern itself.
_ASCII_PUNCTUATION = {c: None for c in range(128) if _PUNCTUATION.match(chr(c))}


class Scorer(textstatistics):
    """textstat's formulas in one language, with each distinct word's syllables counted once.

    textstat asks pyphen for every word of every text it scores, and a page's paragraphs and
    sentences are scored alone as well as together: that was about a fifth of the CPU of page
    work. Counting per distinct word gives the same sum (textstat splits the lower-cased text
    without punctuation on whitespace and adds up each word's count). One instance per
    language also replaces textstat's global ``set_lang``, so no lock is needed, and English
    is always hyphenated with textstat's default ``en_US`` patterns (pyphen's plain ``en``
    differs; with the global ``set_lang`` it was used for English after any other language).

    ``scores`` runs textstat's formulas on counts worked out beforehand (``count``), so a
    page's text as a whole is scored from the sums of its paragraphs' counts, not read again.
    """

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.set_lang("en_US" if lang == "en" else lang)
        self.syllables: dict[str, int] = {}
        self.eases: dict[Counts, float] = {}
        self._given: tuple[str, Counts] | None = None

    def count(self, text: str) -> Counts:
        """textstat's counts of ``text``, each read once.

        Its words are split once from the lower-cased text without punctuation: textstat's
        ``lexicon_count`` strips the text as it is, its syllable count the lower-cased text.
        The two can differ only in apostrophes (with ``set_rm_apostrophe(False)``, "don't"
        keeps its own and "DON'T" does not), which never decide whether a piece between
        spaces keeps a character: the same number of words (2.9 % fewer instructions a
        product page)."""
        found = _TEXTSTAT_SENTENCE.findall(text)
        words_ = self.remove_punctuation(text.lower()).split()
        return Counts(len(words_), len(found), sum(map(_short, found)), self._syllables_of(words_))

    def scores(self, text: str, counts: Counts, *, grade: bool = True) -> tuple[float, float | None]:
        """Flesch reading ease (rounded to 0.1) and, in English when ``grade``, the
        Flesch-Kincaid grade of ``text``, by textstat's formulas on ``counts``
        (``count(text)`` or the sum of its parts')."""
        self._given = (text, counts)
        try:
            ease = round(float(self.flesch_reading_ease(text)), 1)
            return ease, float(self.flesch_kincaid_grade(text)) if grade and self.lang == "en" else None
        finally:
            self._given = None

    def ease(self, text: str, counts: Counts) -> float:
        """``scores(text, counts, grade=False)[0]``, remembered by ``counts``: the formula reads
        nothing of the text but its counts (the overrides below give them), and a page's ~30
        paragraphs, each scored alone to find the hardest, repeat the same few thousand counts
        (2,096 distinct in 7,984 paragraphs of the bench store's product pages)."""
        memo = self.eases
        ease = memo.get(counts)
        if ease is None:
            if len(memo) > EASE_MEMO_COUNTS:
                memo.clear()
            ease = memo[counts] = self.scores(text, counts, grade=False)[0]
        return ease

    # textstat's formulas ask for these of the text they score: it is the given one.

    def lexicon_count(self, text: str, removepunct: bool = True) -> int:
        given = self._given
        if given is not None and text is given[0] and removepunct:
            return given[1].words
        return super().lexicon_count(text, removepunct)

    def sentence_count(self, text: str) -> int:
        given = self._given
        if given is not None and text is given[0]:
            return max(1, given[1].found - given[1].short)
        return super().sentence_count(text)

    def syllable_count(self, text: str, lang: str | None = None) -> int:
        given = self._given
        if given is not None and text is given[0]:
            return given[1].syllables
        return self._syllables(text)

    def remove_punctuation(self, text: str) -> str:
        if self._textstatistics__rm_apostrophe:  # type: ignore[attr-defined]
            return text.translate(_ASCII_PUNCTUATION) if text.isascii() else _PUNCTUATION.sub("", text)
        return super().remove_punctuation(text)

    def _syllables(self, text: str) -> int:
        return self._syllables_of(self.remove_punctuation(text.lower()).split())

    def _syllables_of(self, words_: list[str]) -> int:
        """The syllables of words already lower-cased and stripped of punctuation, as textstat counts them."""
        memo = self.syllables
        if len(memo) > SYLLABLE_MEMO_WORDS:
            memo.clear()
        try:  # most words of a page were counted before: summed in C
            return sum(map(memo.__getitem__, words_))
        except KeyError:
            pass
        positions = self.pyphen.positions
        for word in words_:
            if word not in memo:
                memo[word] = len(positions(word)) + 1
        return sum(map(memo.__getitem__, words_))
