"""docs/database.md documents every table and column, and its example queries run."""

from __future__ import annotations

import re

import pytest

import reportdb
from conftest import ROOT
from storeaudit.store import _TABLES, add_ignore

DOC = (ROOT / "docs" / "database.md").read_text()
QUERIES = re.findall(r"```sql\n(.*?)```", DOC, flags=re.S)


@pytest.mark.parametrize("table", sorted(_TABLES))
def test_every_table_and_column_is_documented(table):
    section = DOC.split(f"### `{table}`", 1)
    assert len(section) == 2, f"no section for table {table}"
    body = section[1].split("\n### ", 1)[0]
    for column in _TABLES[table]["columns"]:
        assert f"`{column}`" in body, f"{table}.{column} is not documented"


@pytest.mark.parametrize("sql", QUERIES, ids=lambda q: q.splitlines()[0][:40])
def test_example_queries_run(sql, tmp_path):
    db = reportdb.build(tmp_path / "doc.db")
    db["fetches"].insert_all({"run_id": 2, "url": reportdb.ORIGIN + path, "method": "GET", "status": 200,
                              "content_type": "text/html; charset=utf-8", "elapsed_ms": 40 + n, "same_site": 1}
                             for n, path in enumerate(reportdb.PAGES))
    link004 = db.execute("select fingerprint from findings where code = 'LINK004'").fetchone()[0]
    add_ignore(db, link004, "section comes with the new delivery page")
    rows = list(db.execute(sql).fetchall())
    assert rows, "an example query over a database with two audits should return rows"
