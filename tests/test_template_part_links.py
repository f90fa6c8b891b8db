"""A template part (header, menu, footer) crosses from a page worker to the crawler once, and
by its id after that; its links are stored once during the crawl and become every page's
links when the crawl ends. The ``links`` of a run are what they would be page by page."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from test_template_parts import nothing_kept, page  # noqa: F401  (autouse: no part kept from another test)

from crawler import extract
from crawler.extract import ParsedPage, parse_page
from crawler.pipelines import write_links
from storeaudit.store import BatchWriter, expand_parts, open_db

HOME = "<header><a href='/'>Home</a> <a href='/mugs'>Mugs</a></header>"
PAGES = [
    ("https://shop.test/kettles/copper", page("<h1>Copper kettle</h1><a href='/kettles'>All kettles</a>")),
    ("https://shop.test/teapots/blue", page("<h1>Blue pot</h1><img src='/img/pot.jpg' alt='Pot'>")),
    ("https://shop.test/teapots/red", page("<h1>Red pot</h1><a href='glaze#how'>Glaze</a>")),
    ("https://shop.test/mugs", page("<h1>Mugs</h1>", header=HOME)),
    ("https://shop.test/mugs/tall", page("<h1>Tall mug</h1>", header=HOME)),
]


def edges(refs_of: ParsedPage) -> list[tuple[str, ...]]:
    return [(refs_of.url, r.url, r.fragment, r.kind, r.text, r.region) for r in refs_of.refs]


def alone(url: str, body: bytes) -> list[tuple[str, ...]]:
    kept = dict(extract._PART_REFS)
    extract._PART_REFS.clear()
    try:
        return edges(parse_page(url, body))
    finally:
        extract._PART_REFS.update(kept)


def sent_pages(sent: set[int], limit: int = 100) -> list[ParsedPage]:
    pages = []
    for url, body in PAGES:
        parsed = parse_page(url, body)
        parsed.send_parts(sent, limit=limit)
        pages.append(parsed)
    return pages


def test_a_part_goes_with_the_first_page_that_shares_it_and_by_its_id_after_that():
    first, second, third, _, fifth = sent_pages(set())

    assert first.parts == []  # nothing shared yet: every reference is the page's own
    assert [stop >= 0 for _, _, stop in second.parts] == [True, True]  # the header and the footer go along
    assert [stop for _, _, stop in third.parts] == [-1, -1]  # their ids only
    assert [start for _, start, _ in third.parts] == [0, len(third.refs)]  # where their references were
    assert [p for p, _, _ in third.parts] == [p for p, _, _ in second.parts]
    header_id, start, stop = second.parts[0]
    header_refs = [(r.url, r.kind, r.text) for r in second.refs[start:stop]]
    assert ("https://shop.test/kettles", "a", "Kettles") in header_refs
    assert all(r.url != "https://shop.test/kettles" or r.region == "main" for r in third.refs)
    # the fourth page's other header, shared by the fifth, goes with the fifth; the footer by its id
    assert [(p, stop >= 0) for p, _, stop in fifth.parts] == [(fifth.parts[0][0], True), (second.parts[1][0], False)]
    assert fifth.parts[0][0] != header_id


def test_a_part_id_is_the_same_in_every_process():
    probe = ("from crawler.extract import part_id; "
             "print(part_id((b'<footer><a href=\"/x\">X</a></footer>', 'https://shop.test')))")
    ids = {subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(ids) == 1 and int(ids.pop()) > 0


def test_past_the_limit_a_new_part_goes_with_every_page():
    sent: set[int] = set()
    pages = sent_pages(sent, limit=1)
    assert len(sent) == 1
    for parsed, (url, body) in zip(pages, PAGES):
        carried = {p for p, _, stop in parsed.parts if stop >= 0}
        by_id = {p for p, _, stop in parsed.parts if stop < 0}
        assert not (carried | by_id) - sent  # a part past the limit is no part: its links are the page's own
        if not by_id:
            assert edges(parsed) == alone(url, body)


def test_the_runs_links_are_every_pages_links_once_the_parts_are_expanded(tmp_path):
    db = open_db(tmp_path / "audit.db")
    writer, written = BatchWriter(db), set()
    for parsed in sent_pages(set()):
        with writer.together():
            write_links(writer, 7, parsed, written)
    writer.flush()
    stored = db.execute("select count(*) from link_edges").fetchone()[0]
    # pages 2 and 3: the header and the footer; page 4: the footer (its header is new); page 5: both
    assert db.execute("select count(*) from page_parts").fetchone()[0] == 7
    assert db.execute("select count(*) from part_links").fetchone()[0] > 0

    added = expand_parts(db, 7)

    want = sorted(edge for url, body in PAGES for edge in alone(url, body))
    got = sorted(db.execute("select source, target, fragment, kind, text, region from links where run_id = 7"))
    assert got == want
    assert added == len(want) - stored > 0
    assert db.execute("select count(*) from page_parts").fetchone()[0] == 0
    assert db.execute("select count(*) from part_links").fetchone()[0] == 0
    assert expand_parts(db, 7) == 0  # done once


def test_a_crawl_killed_before_its_end_still_has_every_pages_links_when_its_database_is_opened(tmp_path):
    path = tmp_path / "audit.db"
    db = open_db(path)
    run_id = db["runs"].insert({"start_url": "https://shop.test/", "status": "running", "pid": 0,
                                "host": os.uname().nodename}).last_pk
    writer, written = BatchWriter(db), set()
    for parsed in sent_pages(set()):
        write_links(writer, run_id, parsed, written)
    writer.flush()
    db.conn.close()

    open_db(path)  # finds the run's process gone: the run is marked interrupted, its parts expanded

    conn = sqlite3.connect(path)
    assert conn.execute("select status from runs where id = ?", [run_id]).fetchone() == ("interrupted",)
    got = sorted(conn.execute("select source, target, fragment, kind, text, region from links"))
    assert got == sorted(edge for url, body in PAGES for edge in alone(url, body))


def part_links_written(tmp_path, workers: int) -> tuple[int, list[tuple[str, ...]]]:
    """The ``part_links`` rows written while pages went to ``workers`` page workers in turn,
    and the run's links once expanded."""
    db = open_db(tmp_path / f"audit-{workers}.db")
    writer, written = BatchWriter(db), set()
    sent: list[set[int]] = [set() for _ in range(workers)]
    for n, (url, body) in enumerate(PAGES):
        parsed = parse_page(url, body)
        parsed.send_parts(sent[n % workers], limit=100)
        write_links(writer, 7, parsed, written)
    writer.flush()
    if workers > 1:
        assert set.intersection(*sent), "no part was sent by two workers: the test would prove little"
    rows = db.execute("select count(*) from part_links").fetchone()[0]
    expand_parts(db, 7)
    return rows, sorted(db.execute("select source, target, fragment, kind, text, region from links"))


def test_two_page_workers_each_send_a_part_and_the_crawler_writes_it_once(tmp_path):
    one, links_one = part_links_written(tmp_path, 1)
    two, links_two = part_links_written(tmp_path, 2)
    assert two == one > 0
    assert links_two == links_one == sorted(edge for url, body in PAGES for edge in alone(url, body))
