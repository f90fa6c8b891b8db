"""The audit database: one SQLite file (via sqlite-utils) holding every run.

History, diff and trends are queries over it; reports render from it alone. Writes go in
batches inside transactions with WAL on, so a killed crawl loses at most the last batch and a
run only reads ``complete`` once its checks have finished. The schema version is recorded in
the database and :func:`migrate` brings an older file up to date.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import sqlite_utils

__all__ = ["BatchWriter", "CRAWL_BATCH_ROWS", "CRAWL_CACHE_KIB", "Checkpointer", "SCHEMA_VERSION", "add_ignore", "crawl_writer", "create_run", "expand_parts", "finish_run_row", "insert_rows",
           "mark_dead_runs", "open_db", "reopen_run", "utcnow"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 3  # 2: ignores table; 3: links as integer URL ids (urls, link_edges)

_TABLES: dict[str, dict[str, Any]] = {
    "runs": dict(
        columns={"id": int, "start_url": str, "site": str, "status": str, "started_at": str,
                 "finished_at": str, "as_of": str, "pages": int, "fetches": int, "findings": int,
                 "limits_hit": str, "settings": str, "message": str, "pid": int, "host": str},
        pk="id",
    ),
    "pages": dict(
        columns={"run_id": int, "url": str, "status": int, "depth": int, "title": str, "lang": str,
                 "ids": str, "via": str, "description": str, "availability": str,
                 "copyright_year": int, "modified": str, "promo_links": str, "kind": str},
        pk=("run_id", "url"),
    ),
    "sitemap_entries": dict(
        columns={"run_id": int, "url": str, "lastmod": str},
    ),
    # Links are read through the view ``links`` (source, target, fragment, kind, text, region)
    # and written through it too (its trigger). Stored, each URL is a row of ``urls`` once and
    # a link holds two integers: a store's pages repeat the same ~150 URLs in every header,
    # footer and product grid, and as text the links and their two indexes were 77 % of the file.
    "urls": dict(
        columns={"id": int, "url": str},
        pk="id",
    ),
    "link_edges": dict(
        columns={"run_id": int, "source_id": int, "target_id": int, "fragment": str, "kind": str,
                 "text": str, "region": str},
    ),
    # While a run is crawled, the links of a template part (header, menu, footer) that page
    # workers name by id are kept once (``part_links``) with the pages that have it
    # (``page_parts``); ``expand_parts`` makes them ``link_edges`` when the crawl ends.
    "part_links": dict(
        columns={"run_id": int, "part_id": int, "target_id": int, "fragment": str, "kind": str,
                 "text": str, "region": str},
    ),
    "page_parts": dict(
        columns={"run_id": int, "source_id": int, "part_id": int},
    ),
    # One row per requested URL (~37 per product page). Without a rowid the table is its
    # primary key's b-tree, so each URL is stored once, not in the row and again in the key's
    # index. At 100,000 pages that saved only 922 -> 892 MB: rows land in URL order, not in
    # the order they are written, and leave a third of the table's pages unused.
    "fetches": dict(
        columns={"run_id": int, "url": str, "method": str, "status": int, "error": str,
                 "skipped": str, "content_type": str, "size": int, "final_url": str, "chain": str,
                 "elapsed_ms": int, "same_site": int, "last_modified": str},
        pk=("run_id", "url"),
        without_rowid=True,
    ),
    "findings": dict(
        columns={"id": int, "run_id": int, "code": str, "category": str, "team": str,
                 "severity": str, "page": str, "target": str, "message": str, "evidence": str,
                 "grp": str, "region": str, "status_class": str, "own_host": int, "template": int,
                 "fingerprint": str},
        pk="id",
    ),
    # Accepted findings (`storeaudit ignore FINGERPRINT --reason ...`): hidden from gates and the
    # main report, listed separately in it. Config `[[ignore]]` rules are kept in runs.settings.
    "ignores": dict(
        columns={"fingerprint": str, "reason": str, "added_at": str},
        pk="fingerprint",
    ),
    # Checkout flows: the add-to-basket forms the crawl saw, each flow walked after it, each step.
    "flow_candidates": dict(
        columns={"run_id": int, "page": str, "action": str, "method": str, "button": str, "marker": str,
                 "fields": str, "template": str, "in_stock": int},
    ),
    "flows": dict(
        columns={"run_id": int, "flow": str, "kind": str, "page": str, "name": str, "outcome": str,
                 "message": str},
        pk=("run_id", "flow"),
    ),
    "flow_steps": dict(
        columns={"run_id": int, "flow": str, "step": int, "name": str, "url": str, "method": str,
                 "status": int, "elapsed_ms": int, "assertion": str, "ok": int, "failure": str,
                 "detail": str},
        pk=("run_id", "flow", "step"),
    ),
}

_INDEXES = [
    ("link_edges", ["run_id", "target_id"]),
    ("link_edges", ["run_id", "source_id"]),
    ("part_links", ["run_id", "part_id"]),
    ("findings", ["run_id", "code", "grp"]),
    ("findings", ["fingerprint"]),
    ("runs", ["site", "status"]),
    ("sitemap_entries", ["run_id", "url"]),
]


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating or migrating) the audit database at ``path``."""
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 10000")
    db.enable_wal()
    db.execute("PRAGMA synchronous = NORMAL")
    migrate(db)
    mark_dead_runs(db)
    return db


def migrate(db: sqlite_utils.Database) -> None:
    """Create missing tables and indexes and record the schema version."""
    for name, spec in _TABLES.items():
        if not db[name].exists():
            if spec.get("without_rowid"):  # sqlite-utils has no option for it
                sql = db.create_table_sql(name, spec["columns"], pk=spec["pk"]).rstrip().rstrip(";")
                db.execute(sql + " WITHOUT ROWID")
            else:
                db[name].create(spec["columns"], pk=spec.get("pk"), not_null=None)
            continue
        have = set(db[name].columns_dict)
        for column, kind in spec["columns"].items():
            if column not in have:  # a database written by an older storeaudit
                db[name].add_column(column, kind)
    for table, cols in _INDEXES:
        db[table].create_index(cols, if_not_exists=True)
    db["urls"].create_index(["url"], unique=True, if_not_exists=True)
    _links_view(db)
    if not db["meta"].exists():
        db["meta"].create({"key": str, "value": str}, pk="key")
    db["meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")


_LINKS_VIEW = (
    """create view links as
    select e.run_id, s.url as source, t.url as target, e.fragment, e.kind, e.text, e.region
    from link_edges e join urls s on s.id = e.source_id join urls t on t.id = e.target_id""",
    """create trigger links_insert instead of insert on links begin
        insert or ignore into urls (url) values (new.source), (new.target);
        insert into link_edges (run_id, source_id, target_id, fragment, kind, text, region) values (
            new.run_id, (select id from urls where url = new.source), (select id from urls where url = new.target),
            new.fragment, new.kind, new.text, new.region);
    end""",
    """create trigger links_delete instead of delete on links begin
        delete from link_edges where run_id = old.run_id
            and source_id = (select id from urls where url = old.source)
            and target_id = (select id from urls where url = old.target);
    end""",
)


def _links_view(db: sqlite_utils.Database) -> None:
    """The ``links`` view over ``link_edges``. A file from before schema 3 has ``links`` as a
    table of text URLs: its rows move into ``urls`` and ``link_edges`` and the old table goes,
    all in one transaction, so an interrupted upgrade leaves the file as it was."""
    if "links" in db.view_names():
        return
    old = "links" in db.table_names()
    conn = db.conn
    conn.execute("begin immediate")
    try:
        if old:
            conn.execute("alter table links rename to links_v2")
        for statement in _LINKS_VIEW:
            conn.execute(statement)
        if old:
            conn.execute("insert into links (run_id, source, target, fragment, kind, text, region) "
                         "select run_id, source, target, fragment, kind, text, region from links_v2 order by rowid")
            conn.execute("drop table links_v2")
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def create_run(db: sqlite_utils.Database, *, start_url: str, site: str, as_of: str,
               settings: dict[str, Any]) -> int:
    with db.conn:
        row = db["runs"].insert({
            "start_url": start_url, "site": site, "status": "running", "started_at": utcnow(),
            "as_of": as_of, "settings": json.dumps(settings, sort_keys=True), "limits_hit": "{}",
            "pages": 0, "fetches": 0, "findings": 0, "message": "", "pid": os.getpid(),
            "host": socket.gethostname(),
        })
    return int(row.last_pk)


def reopen_run(db: sqlite_utils.Database, run_id: int) -> None:
    """Make an interrupted run ``running`` again in this process, to be resumed."""
    with db.conn:
        db["runs"].update(run_id, {"status": "running", "finished_at": None, "message": "",
                                   "pid": os.getpid(), "host": socket.gethostname()})


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def mark_dead_runs(db: sqlite_utils.Database) -> list[int]:
    """Mark ``interrupted`` every run still ``running`` whose process on this host is gone.

    A crawl killed with ``kill -9`` (or a power cut) never ran its last step; its data up to
    the last written batch is there, but it must never read as complete or as still running.
    Runs of other hosts (a shared database file) are left alone.
    """
    host = socket.gethostname()
    dead = [run_id for run_id, pid in db.execute(
        "select id, pid from runs where status = 'running' and host = ?", [host]).fetchall()
        if not pid or not _alive(pid)]
    for run_id in dead:
        expand_parts(db, run_id)
        finish_run_row(db, run_id, status="interrupted",
                       message="the crawl process ended without finishing the run (killed?); "
                               "data up to its last written batch is kept")
    return dead


def finish_run_row(db: sqlite_utils.Database, run_id: int, *, status: str, message: str = "",
                   limits_hit: dict[str, int] | None = None) -> None:
    """Record how a run ended, with its counts; only called once its data is all written."""
    counts = {t: db.execute(f"select count(*) from {t} where run_id = ?", [run_id]).fetchone()[0]
              for t in ("pages", "fetches", "findings")}
    update: dict[str, Any] = {"status": status, "finished_at": utcnow(), "message": message, **counts}
    if limits_hit is not None:
        update["limits_hit"] = json.dumps(limits_hit, sort_keys=True)
    with db.conn:
        db["runs"].update(run_id, update)


def add_ignore(db: sqlite_utils.Database, fingerprint: str, reason: str) -> None:
    """Accept a finding: gates and the main report skip it; reports list it with ``reason``."""
    with db.conn:
        db["ignores"].upsert({"fingerprint": fingerprint, "reason": reason, "added_at": utcnow()},
                             pk="fingerprint")


#: The ``links`` view's columns, in the order ``BatchWriter.add_values`` takes a link's values.
LINK_COLUMNS = ("run_id", "source", "target", "fragment", "kind", "text", "region")
#: A template part's links and the pages that have it (``part_links``, ``page_parts``), URLs as text.
PART_LINK_COLUMNS = ("run_id", "part_id", "target", "fragment", "kind", "text", "region")
PAGE_PART_COLUMNS = ("run_id", "source", "part_id")
#: URL ids a writer remembers before it starts over: enough for the header, footer and grid
#: URLs every page repeats (the rest are new anyway). 1,024, 4,096 and 50,000 wrote a 10,000-page
#: run's links alike (1.98, 2.04, 1.91 ms a page, medians of 3); fewer URL strings stay alive.
URL_IDS = 4_096


class BatchWriter:
    """Buffer rows per table and write them in one transaction per batch.

    sqlite-utils' ``insert`` per row commits each row (1,200 rows/s here); ``insert_all`` in
    a transaction with WAL reaches ~190k rows/s. A batch is written when it holds
    ``batch_size`` rows or is older than ``max_age`` seconds, so an interrupted crawl loses
    little.
    """

    def __init__(self, db: sqlite_utils.Database, *, batch_size: int = 2000, max_age: float = 2.0,
                 checkpointer: Checkpointer | None = None):
        self.db = db
        self.batch_size = batch_size
        self.max_age = max_age
        self.checkpointer = checkpointer
        self._rows: dict[str, list[dict[str, Any]]] = {}
        self._count = 0
        self._since = time.monotonic()
        self._held = 0
        self._url_ids: dict[str, int] = {}  # ids in ``urls`` of URLs written here (see _insert_links)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self._rows.setdefault(table, []).append(row)
        self._count += 1
        if not self._held:
            self._maybe_flush()

    def _maybe_flush(self) -> None:
        if self._count >= self.batch_size or time.monotonic() - self._since > self.max_age:
            self.flush()

    @contextmanager
    def together(self) -> Iterator[None]:
        """Rows added inside go into one batch: a page with its fetch, links and findings.

        So a crawl killed mid-write loses whole pages, never half of one, and a resumed run
        can trust that a page in the database has all its references.
        """
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held:
                self._maybe_flush()

    def extend(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.add(table, row)

    def add_values(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Rows given as tuples of the values of ``columns``, each a str, int, float, bytes or
        None: a page's ~150 links without a dict each, nor a look at each value's type when
        written (~0.15 ms a page of the crawler's CPU)."""
        self._rows.setdefault(table, []).append(_Values(columns, rows))
        self._count += len(rows)
        if not self._held:
            self._maybe_flush()

    def flush(self) -> None:
        if not self._count:
            return
        try:
            with self.db.conn:
                for table, rows in self._rows.items():
                    if table in _BY_URL_ID:
                        _insert_links(self.db.conn, rows, self._url_ids, table)
                    elif rows:
                        _insert_rows(self.db.conn, table, rows, replace=table in ("fetches", "pages"))
        except BaseException:
            self._url_ids.clear()  # the URLs this batch added to ``urls`` were rolled back
            raise
        self._rows = {}
        self._count = 0
        self._since = time.monotonic()
        if self.checkpointer is not None:
            self.checkpointer.nudge()

    def close(self) -> None:
        """Write what is buffered; stop the checkpointer (the connection checkpoints itself again)."""
        try:
            self.flush()
        finally:
            if self.checkpointer is not None:
                self.checkpointer.stop()
                self.checkpointer = None


#: Rows a crawl's writer buffers before a commit, and its SQLite page
#: cache in KiB. A batch's new URLs land all over ``urls``' index and ``fetches``' key, so a
#: commit rewrites pages everywhere in the file; with SQLite's default 2 MB cache those pages
#: were read back before each change and spilled during the batch. A replay of a 10,000-page
#: run's batches (docs/performance.md, fifteenth session): 929k -> 648k page writes, 856k ->
#: 330k page reads, 824 -> 332 fsyncs against 2,000 rows and 2 MB. The cache is bounded
#: whatever the store's size.
CRAWL_BATCH_ROWS = 10_000
CRAWL_CACHE_KIB = 16_000


def crawl_writer(db: sqlite_utils.Database, *, max_age: float = 2.0) -> BatchWriter:
    """The writer of a crawl's rows (the crawl's pipeline, a distributed audit's drainer):
    ``CRAWL_BATCH_ROWS`` a commit in a ``CRAWL_CACHE_KIB`` page cache on ``db``, the WAL
    checkpointed by a :class:`Checkpointer` until ``close``."""
    db.execute(f"pragma cache_size = -{CRAWL_CACHE_KIB}")
    return BatchWriter(db, batch_size=CRAWL_BATCH_ROWS, max_age=max_age, checkpointer=Checkpointer(db).start())


class Checkpointer:
    """Checkpoints ``db``'s WAL in a thread of its own, after each commit it is nudged about,
    while ``db``'s connection does not (``wal_autocheckpoint = 0`` until ``stop``).

    Why: SQLite checkpoints in the commit that takes the WAL past 1,000 pages, so the crawl's
    event loop copied pages into the database file and waited for its ``fdatasync`` there,
    and the page worker ran out of pages meanwhile (sampled thread states of a 10,000-page
    audit: the crawler in ``fdatasync`` 2.2-2.7 % of the time, the worker waiting for pages
    9.2-9.6 %, 6.0 % with this; docs/performance.md, sixteenth session). A thread costs the
    loop nothing here: Python's sqlite3 lets go of the interpreter's lock while SQLite works.
    Checkpoints are PASSIVE (they never wait for, or hold up, the writer), and the WAL starts
    over from its beginning once one has copied all of it."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = db.execute("pragma database_list").fetchone()[2]
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> Checkpointer:
        if self.path and self._thread is None:  # "": an in-memory or temporary database has no WAL
            self.db.execute("pragma wal_autocheckpoint = 0")
            self._thread = threading.Thread(target=self._run, name="storeaudit-checkpointer", daemon=True)
            self._thread.start()
        return self

    def nudge(self) -> None:
        """A commit was made: checkpoint it soon. If the thread has ended (its connection
        could not be opened), SQLite checkpoints in the commits again, so the WAL stays bounded."""
        if self._thread is not None and not self._thread.is_alive():
            self._thread = None
            self.db.execute(f"pragma wal_autocheckpoint = {WAL_AUTOCHECKPOINT}")
            return
        self._wake.set()

    def stop(self) -> None:
        """Wait for the checkpoint under way, if any; ``db`` checkpoints itself again."""
        if self._thread is None:
            return
        self._stopping = True
        self._wake.set()
        self._thread.join()
        self._thread = None
        self.db.execute(f"pragma wal_autocheckpoint = {WAL_AUTOCHECKPOINT}")

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, check_same_thread=False)
        except sqlite3.Error as e:
            logger.warning("no connection to checkpoint %s beside the crawl (%s): its commits checkpoint it", self.path, e)
            return
        try:
            conn.execute("pragma busy_timeout = 10000")
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                try:
                    conn.execute("pragma wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as e:  # the next nudge tries again; the WAL keeps every commit
                    logger.debug("checkpoint of %s failed: %s", self.path, e)
        finally:
            conn.close()


#: SQLite's own default: a commit that takes the WAL past this many pages checkpoints it.
WAL_AUTOCHECKPOINT = 1000


def insert_rows(db: sqlite_utils.Database, table: str, rows: Iterable[dict[str, Any]]) -> None:
    """Insert ``rows`` in one transaction; also into the ``links`` view, which sqlite-utils'
    ``insert_all`` refuses."""
    with db.conn:
        if table in _BY_URL_ID:
            _insert_links(db.conn, list(rows), {}, table)
        else:
            _insert_rows(db.conn, table, list(rows), replace=False)


class _Values(NamedTuple):
    """Rows of plain values for ``columns``, written as they are (``BatchWriter.add_values``)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


#: Tables written with URLs as ids in ``urls``: (where, its columns as given, which of them are URLs).
_BY_URL_ID: dict[str, tuple[str, tuple[str, ...], tuple[int, ...]]] = {
    "links": ("link_edges (run_id, source_id, target_id, fragment, kind, text, region)", LINK_COLUMNS, (1, 2)),
    "part_links": ("part_links (run_id, part_id, target_id, fragment, kind, text, region)", PART_LINK_COLUMNS, (2,)),
    "page_parts": ("page_parts (run_id, source_id, part_id)", PAGE_PART_COLUMNS, (1,)),
}


def _insert_links(conn: Any, rows: list[dict[str, Any] | _Values], url_ids: dict[str, int],
                  table: str = "links") -> None:
    """Link rows (dicts, or ``_Values`` of LINK_COLUMNS) into ``link_edges``, each URL as its id
    in ``urls``, as the ``links`` view's trigger would store them (the same ids, given in the
    order the URLs first appear). ``url_ids`` remembers ids between batches: a store's pages
    repeat the same header, footer and grid URLs, and the trigger looked up both URLs of every
    row (~150 a page): 1.83 -> 1.55 ms a product page (bench store, 1,121 pages, medians of 6).
    The same for the other tables of ``_BY_URL_ID`` (a template part's links, its pages)."""
    into, columns, at = _BY_URL_ID[table]
    values: list[tuple[Any, ...]] = []
    for row in rows:
        if type(row) is _Values:
            values.extend(row.rows if row.columns == columns else
                          (tuple(dict(zip(row.columns, r)).get(c) for c in columns) for r in row.rows))
        else:
            values.append(tuple(row.get(c) for c in columns))  # type: ignore[union-attr]
    if not values:
        return
    if len(url_ids) > URL_IDS:
        url_ids.clear()
    missing = list(dict.fromkeys(row[i] for row in values for i in at if row[i] not in url_ids))
    if missing:
        conn.executemany("insert or ignore into urls (url) values (?)", [(url,) for url in missing])
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            url_ids.update((url, id_) for id_, url in conn.execute(
                f"select id, url from urls where url in ({', '.join('?' * len(chunk))})", chunk))
    marks = ", ".join("?" * len(columns))
    if at == (1, 2):
        ids = [(row[0], url_ids[row[1]], url_ids[row[2]], *row[3:]) for row in values]
    else:
        ids = [tuple(url_ids[v] if i in at else v for i, v in enumerate(row)) for row in values]
    conn.executemany(f"insert into {into} values ({marks})", ids)


def expand_parts(db: sqlite_utils.Database, run_id: int) -> int:
    """Make the template parts' links of a run (``part_links``, ``page_parts``) ``link_edges``
    rows of every page that has them, as if each page had carried its own; returns how many.
    In one statement: ~1.2 s for the 820,000 part links of a 10,000-page bench run, which took
    ~3-5 s inserted in the crawl's batches (a replay of that run's rows). Run when the crawl
    ends, before anything reads ``links``, before a run is resumed and when a dead run is found."""
    with db.conn:
        cursor = db.conn.execute(
            "insert into link_edges (run_id, source_id, target_id, fragment, kind, text, region) "
            "select p.run_id, p.source_id, l.target_id, l.fragment, l.kind, l.text, l.region "
            "from page_parts p join part_links l on l.run_id = p.run_id and l.part_id = p.part_id "
            "where p.run_id = ? order by p.rowid, l.rowid", [run_id])
        added = cursor.rowcount
        db.conn.execute("delete from page_parts where run_id = ?", [run_id])
        db.conn.execute("delete from part_links where run_id = ?", [run_id])
    return added


_PLAIN = (str, int, float, bytes, type(None))
_PLAIN_TYPES = frozenset((*_PLAIN, bool))  # a row of only these is written as it is


def _insert_rows(conn: Any, table: str, rows: list[dict[str, Any] | _Values], *, replace: bool) -> None:
    """``executemany`` of one prepared INSERT per column set: what sqlite-utils' ``insert_all``
    does, without its per-row Python work (measured: 4 % of a crawl's time in ``flush``).
    Lists and dicts are stored as JSON, as sqlite-utils would."""
    verb = "insert or replace" if replace else "insert"

    def write(columns: tuple[str, ...], values: list[tuple[Any, ...]]) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        conn.executemany(f'{verb} into "{table}" ({names}) values ({", ".join("?" * len(columns))})', values)

    columns: tuple[str, ...] = ()
    run: list[tuple[Any, ...]] = []
    for row in rows:  # consecutive rows with the same columns go together; order is kept
        if type(row) is _Values:
            if row.columns != columns and run:
                write(columns, run)
                run = []
            columns = row.columns
            run.extend(row.rows)
            continue
        keys = tuple(row)
        if keys != columns and run:
            write(columns, run)
            run = []
        columns = keys
        values = tuple(row.values())
        if not _PLAIN_TYPES.issuperset(map(type, values)):  # checked in C: most rows are plain
            values = tuple(v if isinstance(v, _PLAIN) else json.dumps(v, default=str) for v in values)
        run.append(values)
    if run:
        write(columns, run)
