"""What a resumed run still has to do is read from the interrupted run's database."""

from __future__ import annotations

import json

from crawler.resume import load_resume_state
from storeaudit.store import create_run, insert_rows, open_db

PAGE = {"status": 200, "title": "", "lang": "", "ids": "[]", "via": ""}
FETCH = {"status": 200, "error": "", "skipped": "", "content_type": "text/html", "chain": ""}


def test_pending_is_what_parsed_pages_reference_and_nothing_fetched(tmp_path):
    db = open_db(tmp_path / "a.db")
    run = create_run(db, start_url="http://s/", site="s", as_of="2026-11-25", settings={})
    db["pages"].insert_all([{**PAGE, "run_id": run, "url": "http://s/", "depth": 0},
                            {**PAGE, "run_id": run, "url": "http://s/a", "depth": 1}])
    db["fetches"].insert_all([
        {**FETCH, "run_id": run, "url": "http://s/", "final_url": "http://s/"},
        {**FETCH, "run_id": run, "url": "http://s/a", "final_url": "http://s/a"},
        # a page reached through a redirect whose page row was lost (kill -9): fetched again
        {**FETCH, "run_id": run, "url": "http://s/old", "final_url": "http://s/new",
         "chain": json.dumps([[301, "http://s/new"]])},
        # an image behind a redirect is one row: nothing more to do
        {**FETCH, "run_id": run, "url": "http://s/i.png", "final_url": "http://s/j.png", "content_type": "image/png",
         "chain": json.dumps([[301, "http://s/j.png"]])},
    ])
    links = [("http://s/", "http://s/a", "a"), ("http://s/", "http://s/old", "a"), ("http://s/", "http://s/i.png", "img"),
             ("http://s/", "http://s/b.png", "img"), ("http://s/a", "http://s/b.png", "a"),
             ("http://s/a", "http://s/c", "a")]
    insert_rows(db, "links", [{"run_id": run, "source": s, "target": t, "fragment": "", "kind": k, "text": "",
                               "region": "main"} for s, t, k in links])
    db["runs"].update(run, {"limits_hit": json.dumps({"max_depth": {"/deep/": 2}})})

    state = load_resume_state(db, run)
    assert sorted(state.pending) == [("http://s/b.png", "a", 1), ("http://s/c", "a", 2), ("http://s/new", "a", 1)]
    assert {"http://s/", "http://s/a", "http://s/old", "http://s/new", "http://s/c"} <= state.seen
    assert state.parsed == ["http://s/", "http://s/a"]
    assert state.limits_hit == {"max_depth": {"/deep/": 2}}
