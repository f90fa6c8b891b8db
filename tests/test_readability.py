"""Readability is language-aware, scores main content only, and works with no network."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import textstat
from hypothesis import given, settings
from hypothesis import strategies as st
from textstat.textstat import textstatistics

import checks  # noqa: F401
from checks.context import PageContext
from checks import readability
from checks.readability import clear_caches, score_text
from checks.registry import REGISTRY
from checks.text_content import main_blocks, sentence_count, sentences, word_count, words
from config import load_config
from crawler.extract import parse_page

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "checks"
CONFIG = load_config()
CONTEXT = PageContext(as_of=date(2026, 11, 25), site_hosts=frozenset(), config=CONFIG)
HARD = (FIXTURES / "TEXT001" / "bad.html").read_text()


def findings(code: str, html: str, url: str = "https://shop.example/blog/post") -> list:
    check = REGISTRY[code]
    page = parse_page(url, html.encode(), encoding="utf-8")
    return list(check.func(page, check.make_options({}), CONTEXT))


def test_hard_text_is_quoted_with_scores():
    (f,) = findings("TEXT001", HARD)
    assert f.evidence["reading_ease"] < 40 and f.evidence["grade"] > 12
    assert f.evidence["quote"] in HARD
    assert "Split long sentences" in f.message


def test_legal_pages_are_not_scored():
    assert findings("TEXT001", HARD, url="https://shop.example/terms") == []
    assert findings("TEXT002", HARD, url="https://shop.example/privacy-policy") == []


def test_english_formulas_are_never_applied_to_languages_textstat_lacks():
    korean_hard = HARD.replace('lang="en"', 'lang="ko"')
    assert findings("TEXT001", korean_hard) == []  # not assessed


def test_german_is_scored_with_the_german_formula():
    german = HARD.replace('lang="en"', 'lang="de"')
    (f,) = findings("TEXT001", german)
    assert f.evidence["language"] == "de" and f.evidence["grade"] is None


def test_english_scores_do_not_depend_on_the_pages_scored_before():
    text = "\n".join(b.text for b in main_blocks(parse_page("https://shop.example/", HARD.encode(), encoding="utf-8")))
    clear_caches()
    first = score_text(text, "en")
    score_text(text, "de")
    clear_caches()
    assert score_text(text, "en") == first
    assert first.reading_ease == round(textstat.flesch_reading_ease(text), 1)  # textstat's default en_US


def test_page_without_lang_is_english_only_when_its_words_are():
    assert findings("TEXT001", HARD.replace(' lang="en"', ""))
    french_words = " ".join(["Néanmoins, la considérable hétérogénéité caractérisant les méthodologies contemporaines."] * 30)
    assert findings("TEXT001", f"<html><body><main><p>{french_words}</p></main></body></html>") == []


def test_korean_long_sentences_are_counted_in_characters():
    sentence = "이 주전자는 구리로 만들었고 손잡이는 뜨거워지지 않으며 가스레인지와 전기레인지와 세라믹 레인지에서 모두 쓸 수 있고 물이 끓을 때까지 약 육 분이 걸리며 휘파람 소리로 알려 주고 주석으로 안쪽을 덮어서 오래 쓸 수 있습니다."
    (f,) = findings("TEXT002", f'<html lang="ko"><body><main><p>{sentence}</p><p>짧은 문장입니다.</p></main></body></html>')
    assert f.evidence["unit"] == "characters"


def test_main_content_leaves_out_navigation_footer_forms_and_scripts():
    page = parse_page("https://shop.example/", b"""<html><body>
        <nav><p>Menu text</p></nav><header class="site-header"><p>Header text</p></header>
        <main><h1>Title</h1><p>Body <b>bold</b> text.</p><form><label>Form label</label></form>
        <script>var x = 1;</script><article><footer><p>Article footer</p></footer></article></main>
        <aside><p>Aside text</p></aside><footer><p>Footer text</p></footer></body></html>""")
    texts = [b.text for b in main_blocks(page)]
    assert texts == ["Title", "Body bold text.", "Article footer"]


def test_readability_runs_with_no_network(tmp_path):
    """textstat 0.7.4 needs no download: run TEXT001 in a process where every socket fails."""
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent("""
        import socket
        def _refuse(*args, **kwargs):
            raise OSError("network disabled by the test")
        socket.socket.connect = _refuse
        socket.create_connection = _refuse
        socket.getaddrinfo = _refuse
    """))
    script = textwrap.dedent(f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", 9))
            raise SystemExit("the network was not blocked")
        except OSError:
            pass
        import sys
        sys.path.insert(0, {str(ROOT / 'tests')!r})
        from test_readability import findings, HARD
        (f,) = findings("TEXT001", HARD)
        german = findings("TEXT001", HARD.replace('lang="en"', 'lang="de"'))
        print("ok", f.evidence["reading_ease"], len(german))
    """)
    env = {k: v for k, v in os.environ.items() if k != "NLTK_DATA"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    env["HOME"] = str(tmp_path)  # no NLTK data in the home folder either
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok ") and proc.stdout.split()[2] == "1"


# Paragraphs as _prose makes them: words of letters (a Greek capital sigma, whose lower case
# depends on what follows), apostrophes and hyphens; commas, quotes and parentheses; each
# ending like a sentence, sometimes with the ":", ";" or "…" that textstat does not end one with.
WORD = st.text(alphabet="abcdeiouyrstlnmkpΣ'’-", min_size=1, max_size=12)
SENTENCE = st.builds(lambda ws, mark: " ".join(ws) + mark, st.lists(WORD, min_size=1, max_size=14),
                     st.sampled_from([".", "!", "?", "...", ",", ";", ":", "…", '."', ".)"]))
PARAGRAPH = st.builds(lambda ss, end: " ".join(ss).rstrip(",") + end, st.lists(SENTENCE, min_size=1, max_size=4),
                      st.sampled_from([".", ".", ".", "!", "?", ":", ";", "…"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(PARAGRAPH, min_size=1, max_size=6), st.sampled_from(["en", "de", "es"]))
def test_a_page_is_scored_as_textstat_scores_its_text_though_counted_by_paragraph(prose, lang):
    text = "\n".join(prose)
    scores, hardest, worst = readability._page_scores(prose, text, lang, len(words(text)))

    textstat_alone = textstatistics()
    textstat_alone.set_lang("en_US" if lang == "en" else lang)
    assert scores.reading_ease == round(textstat_alone.flesch_reading_ease(text), 1)
    assert scores.grade == (textstat_alone.flesch_kincaid_grade(text) if lang == "en" else None)
    assert (scores.words, scores.sentences) == (len(words(text)), len(sentences(text)))
    assert hardest == min(prose, key=lambda p: round(textstat_alone.flesch_reading_ease(p), 1))
    assert worst.reading_ease == round(textstat_alone.flesch_reading_ease(hardest), 1)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="aBtTsSdDvVeElLrRİẞΣé1_ '’\"-.,;:!?()\t\n\u00a0", max_size=40))
def test_a_text_has_the_words_and_syllables_textstat_counts_in_it(text):
    """The scorer strips a text once, lower-cased, for both counts; textstat strips it as it is
    for its words. Upper-case contractions ("DON'T"), letters whose lower case is longer
    ("İ"), apostrophes kept or not: the counts are textstat's."""
    from checks.textstat_scorer import Scorer

    for apostrophes_kept in (False, True):
        scorer, textstat_alone = Scorer("en"), textstatistics()
        textstat_alone.set_lang("en_US")
        for one in (scorer, textstat_alone):
            one.set_rm_apostrophe(not apostrophes_kept)
        counts = scorer.count(text)
        assert (counts.words, counts.syllables) == (textstat_alone.lexicon_count(text),
                                                    textstat_alone.syllable_count(text))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40) | st.text(max_size=20))
def test_a_text_loses_the_punctuation_textstat_removes_from_it(text):
    """ASCII text is stripped by a table of its own, any other by textstat's pattern: either
    way, what is left is what textstat leaves (with or without apostrophes kept)."""
    from checks.textstat_scorer import Scorer

    for apostrophes_kept in (False, True):
        scorer, textstat_alone = Scorer("en"), textstatistics()
        for one in (scorer, textstat_alone):
            one.set_rm_apostrophe(not apostrophes_kept)
        assert scorer.remove_punctuation(text) == textstat_alone.remove_punctuation(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab Σé1_'’\"-.,;:!?()\t\n\u00a0\u2003", max_size=24))
def test_a_short_sentence_is_one_textstat_counts_at_most_two_words_in(sentence):
    """TEXT001 tells textstat's short sentences (left out of its sentence count) by a count of
    its own; for any text, with or without apostrophes kept, it agrees with textstat's."""
    for apostrophes_kept in (False, True):
        textstat_alone = textstatistics()
        textstat_alone.set_rm_apostrophe(not apostrophes_kept)
        assert readability._short(sentence) == (textstat_alone.lexicon_count(sentence) <= 2)


def _sentences_by_lookbehind(text: str) -> list[str]:
    """``sentences`` as it was written first: one pattern with lookbehinds for every end mark."""
    import re

    from checks.text_content import joined_after_abbreviations

    split = re.split(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[^\s])|(?<=[。！？])", text)
    return joined_after_abbreviations(p.strip() for p in split if p and p.strip())


@given(st.lists(st.sampled_from(["word", "Etc", "e.g", "Mr", "No", " ", "  ", "\n", "\t", ".", "!", "?", "…",
                                 '"', "'", "”", "’", ")", "]", "。", "！", "？", "é", "3", "-"]), max_size=40))
@settings(max_examples=2000, deadline=None)
def test_sentences_end_where_the_lookbehind_pattern_ends_them(pieces):
    """Text without 。！？ is split by a pattern that starts with its end marks (re skips to them),
    not one that looks behind every character: the same sentences either way."""
    text = "".join(pieces)
    assert sentences(text) == _sentences_by_lookbehind(text)


@given(st.lists(st.sampled_from(["word", "Etc", "e.g", "Mr", "No", "i.e", "x", " ", "  ", "\n", "\t", ".", "!",
                                 "?", "…", '"', "'", "”", "’", ")", "]", "。", "é", "3", "-", ":", ";"]), max_size=40))
@settings(max_examples=2000, deadline=None)
def test_sentences_are_counted_as_many_as_are_made(pieces):
    """A page's sentences are counted without being made (joined after abbreviations, the
    space and closing marks between them dropped): as many as ``sentences`` makes."""
    text = "".join(pieces)
    assert sentence_count(text) == len(sentences(text))


def test_a_paragraph_whose_counts_were_scored_before_gets_textstat_s_own_score_for_it():
    scorer = readability._scorer("en")
    first, second = "Our red mug holds hot tea. Wash it by hand.", "The big jug keeps milk cold. Rinse it out now."
    assert scorer.count(first) == scorer.count(second)  # different words, the same counts
    scorer.ease(first, scorer.count(first))
    remembered = len(scorer.eases)

    textstat_alone = textstatistics()
    textstat_alone.set_lang("en_US")
    assert scorer.ease(second, scorer.count(second)) == round(textstat_alone.flesch_reading_ease(second), 1)
    assert len(scorer.eases) == remembered  # read from the memo, not scored again


@given(st.text(alphabet=st.sampled_from("ab -'’_,.é1\n"), max_size=80), st.integers(min_value=0, max_value=30))
def test_a_word_count_that_stops_early_agrees_with_the_words_up_to_where_it_stops(text, at_most):
    assert word_count(text, at_most) == min(len(words(text)), at_most)
