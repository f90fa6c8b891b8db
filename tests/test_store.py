"""The audit database: links stored once per URL, and files from older versions upgraded."""

from __future__ import annotations

import sqlite3
import time

import pytest

from storeaudit.store import (LINK_COLUMNS, SCHEMA_VERSION, WAL_AUTOCHECKPOINT, BatchWriter, create_run, crawl_writer,
                              insert_rows, open_db)

LINKS = [
    {"run_id": 1, "source": "http://s/", "target": "http://s/a", "fragment": "", "kind": "a", "text": "A", "region": "nav"},
    {"run_id": 1, "source": "http://s/", "target": "http://s/i.png", "fragment": "", "kind": "img", "text": "", "region": "main"},
    {"run_id": 1, "source": "http://s/a", "target": "http://s/", "fragment": "top", "kind": "a", "text": "Home", "region": "nav"},
]


def test_links_read_back_as_written_and_each_url_is_stored_once(tmp_path):
    db = open_db(tmp_path / "a.db")
    run = create_run(db, start_url="http://s/", site="s", as_of="2026-01-01", settings={})
    insert_rows(db, "links", [{**row, "run_id": run} for row in LINKS])
    insert_rows(db, "links", [{**LINKS[0], "run_id": run}])  # the same link again: two rows, one URL each

    rows = [dict(r) for r in db.query("select source, target, fragment, kind, text, region from links")]
    assert sorted(rows, key=str) == sorted(({k: v for k, v in row.items() if k != "run_id"}
                                            for row in LINKS + LINKS[:1]), key=str)
    assert db.execute("select count(*) from link_edges").fetchone()[0] == 4
    assert sorted(u for (u,) in db.execute("select url from urls")) == ["http://s/", "http://s/a", "http://s/i.png"]


def test_rows_given_as_values_are_written_as_the_same_rows_in_the_order_added(tmp_path):
    columns = tuple(LINKS[0])
    as_dicts, as_values = open_db(tmp_path / "dicts.db"), open_db(tmp_path / "values.db")
    for db, values in ((as_dicts, False), (as_values, True)):
        writer = BatchWriter(db)
        with writer.together():
            writer.add("links", LINKS[0])
            if values:
                writer.add_values("links", columns, [tuple(row.values()) for row in LINKS[1:]])
            else:
                writer.extend("links", LINKS[1:])
            writer.add("links", {**LINKS[0], "text": "again"})
        writer.flush()
    sql = "select run_id, source_id, target_id, fragment, kind, text, region from link_edges order by rowid"
    assert as_values.execute(sql).fetchall() == as_dicts.execute(sql).fetchall()
    assert len(as_values.execute(sql).fetchall()) == 4


def test_a_fetch_is_one_row_per_url_in_a_table_that_is_its_key(tmp_path):
    db = open_db(tmp_path / "a.db")
    with db.conn:  # a retried URL is written again, as the crawl's writer does
        for status in (503, 200):
            db.execute("insert or replace into fetches (run_id, url, status) values (1, 'http://s/a', ?)", [status])
    assert [tuple(r) for r in db.execute("select url, status from fetches")] == [("http://s/a", 200)]
    assert db.execute("select sql from sqlite_master where name = 'fetches'").fetchone()[0].endswith("WITHOUT ROWID")
    assert db["fetches"].pks == ["run_id", "url"]


def test_deleting_through_the_view_deletes_the_stored_rows(tmp_path):
    db = open_db(tmp_path / "a.db")
    insert_rows(db, "links", LINKS)
    with db.conn:
        db.execute("delete from links where source = 'http://s/a'")
    assert [r[0] for r in db.execute("select target from links order by target")] == ["http://s/a", "http://s/i.png"]


def test_a_file_with_links_as_text_is_upgraded_without_losing_a_row(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)  # the schema-2 layout of `links`, as storeaudit wrote it before
    conn.execute("create table links (run_id integer, source text, target text, fragment text, kind text, "
                 "text text, region text)")
    conn.execute("create index idx_links_run_id_target on links (run_id, target)")
    conn.executemany("insert into links values (:run_id, :source, :target, :fragment, :kind, :text, :region)", LINKS)
    conn.commit()
    conn.close()

    db = open_db(path)

    assert "links" in db.view_names() and "links" not in db.table_names()
    rows = [dict(r) for r in db.query("select * from links")]
    assert sorted(rows, key=str) == sorted(LINKS, key=str)
    assert db["meta"].get("schema_version")["value"] == str(SCHEMA_VERSION)
    assert open_db(path).execute("select count(*) from links").fetchone()[0] == 3  # opening again changes nothing


def test_links_written_in_batches_read_back_as_written_whatever_the_writer_remembers(tmp_path, monkeypatch):
    """A writer remembers URL ids between batches (and starts over past URL_IDS of them):
    every batch's links read back the same through the ``links`` view."""
    monkeypatch.setattr("storeaudit.store.URL_IDS", 2)
    db = open_db(tmp_path / "a.db")
    writer = BatchWriter(db, batch_size=1)
    for _ in range(3):
        for row in LINKS:
            writer.add_values("links", LINK_COLUMNS, [tuple(row[c] for c in LINK_COLUMNS)])
    writer.flush()
    rows = [tuple(r) for r in db.execute("select run_id, source, target, fragment, kind, text, region from links")]
    assert sorted(rows) == sorted(tuple(row.values()) for row in LINKS * 3)
    assert db.execute("select count(*) from urls").fetchone()[0] == 3


def test_a_batch_that_fails_forgets_the_url_ids_it_took_back(tmp_path):
    """The URLs a failed batch added to ``urls`` are rolled back with it: the writer must not
    go on giving links their ids."""
    db = open_db(tmp_path / "a.db")
    writer = BatchWriter(db)
    writer.add_values("links", LINK_COLUMNS, [tuple(LINKS[0][c] for c in LINK_COLUMNS)])
    writer.add("no_such_table", {"x": 1})
    with pytest.raises(sqlite3.OperationalError):
        writer.flush()
    writer._rows.pop("no_such_table")  # what failed is dropped; the links are written again
    writer.flush()
    assert [tuple(r) for r in db.execute("select source, target from links")] == [("http://s/", "http://s/a")]


def _fetch_rows(start: int, n: int) -> list[tuple[object, ...]]:
    return [(1, f"http://s/p/{i}?{'x' * 200}", "HEAD", 200) for i in range(start, start + n)]


def test_a_crawl_writer_leaves_checkpoints_to_a_thread_of_its_own_until_closed(tmp_path):
    """The crawl's event loop commits; copying the WAL into the database file (and waiting for
    the disk) happens in the checkpointer's thread. The writer's connection never
    checkpoints meanwhile, yet the file gets the rows; once closed it checkpoints itself again."""
    path = tmp_path / "a.db"
    db = open_db(path)
    writer = crawl_writer(db)
    assert db.execute("pragma wal_autocheckpoint").fetchone()[0] == 0
    empty = path.stat().st_size
    for batch in range(10):  # ~3,000 pages of WAL, three times SQLite's own checkpoint point
        writer.add_values("fetches", ("run_id", "url", "method", "status"), _fetch_rows(batch * 1000, 1000))
        writer.flush()
    deadline = time.monotonic() + 30
    while path.stat().st_size <= empty and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.stat().st_size > empty, "the checkpointer copied the commits into the database file"
    writer.close()
    assert db.execute("pragma wal_autocheckpoint").fetchone()[0] == WAL_AUTOCHECKPOINT
    with sqlite3.connect(path) as other:
        assert other.execute("select count(*) from fetches").fetchone()[0] == 10_000


def test_a_crawl_killed_before_its_writer_closes_keeps_every_committed_batch(tmp_path):
    """Checkpoints are only copies: a crawl that ends without closing its writer (killed)
    leaves each committed batch in the WAL, and the next connection reads them all."""
    path = tmp_path / "a.db"
    writer = crawl_writer(open_db(path))
    for batch in range(3):
        writer.add_values("fetches", ("run_id", "url", "method", "status"), _fetch_rows(batch * 100, 100))
        writer.flush()
    writer.add_values("fetches", ("run_id", "url", "method", "status"), _fetch_rows(300, 5))  # never committed
    with sqlite3.connect(path) as other:
        assert other.execute("select count(*) from fetches").fetchone()[0] == 300


def test_a_checkpointer_that_cannot_connect_hands_checkpoints_back_to_the_writer(tmp_path, monkeypatch):
    """A checkpointer whose own connection fails must not leave the WAL to grow for the whole
    crawl: the writer's connection checkpoints in its commits again from the next one."""
    path = tmp_path / "a.db"
    db = open_db(path)

    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr("storeaudit.store.sqlite3.connect", refuse)
    writer = crawl_writer(db)
    writer.checkpointer._thread.join(timeout=30)
    writer.add_values("fetches", ("run_id", "url", "method", "status"), _fetch_rows(0, 10))
    writer.flush()
    assert db.execute("pragma wal_autocheckpoint").fetchone()[0] == WAL_AUTOCHECKPOINT
    writer.close()
