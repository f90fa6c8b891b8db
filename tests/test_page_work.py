"""Pages read in a worker process give what the crawler's own process gives."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import sys
from datetime import date

import pytest

import crawler.page_work as page_work
from checks.page_kinds import page_kind
from checks.runner import PageCheckRunner
from config import load_config
from crawler.page_work import PageWork, read_page
from storeaudit.demo import DEMO_CONFIG, SITE_DIR

HOSTS = {"127.0.0.1:8000"}
AS_OF = date(2026, 11, 25)


def demo_pages() -> list[tuple[str, bytes]]:
    return [("http://127.0.0.1:8000/" + str(f.relative_to(SITE_DIR)).removesuffix(".html"), f.read_bytes())
            for f in sorted(SITE_DIR.rglob("*.html"))]


def facts(page, findings) -> tuple:
    return (page.url, page.title, page.kind, [(r.url, r.raw, r.kind, r.text, r.region) for r in page.refs],
            sorted((f.code, f.target, f.message) for f in findings))


def up(work: PageWork) -> PageWork:
    """``work`` once its worker has answered (its imports take a second or so)."""
    deadline = time.monotonic() + 60
    while not work.elsewhere:
        assert time.monotonic() < deadline, "the worker never came up"
        time.sleep(0.05)
    return work


def read_here(config, url: str, body: bytes) -> tuple:
    checks = PageCheckRunner(config, site_hosts=HOSTS, as_of=AS_OF)
    page, _ = read_page(page_work._frontier(config), None, url, body, status=200, depth=1, encoding=None,
                        last_modified="")
    findings = list(checks.run(page))  # as the pipeline does, on the tree
    page.kind = page_kind(page)
    return facts(page, findings)


def test_a_worker_process_reads_and_checks_pages_as_the_crawler_would():
    config = load_config(DEMO_CONFIG)
    pages = demo_pages()
    work = up(PageWork(config, site_hosts=HOSTS, as_of=AS_OF, processes=1).start())

    async def read_all() -> list[tuple]:
        assert work.elsewhere
        results = await asyncio.gather(*(work.read_elsewhere(url, body, status=200, depth=1, encoding=None,
                                                             last_modified="") for url, body in pages))
        work.close()
        return [facts(page, findings) for page, findings in results]

    elsewhere = asyncio.run(read_all())
    assert elsewhere == [read_here(config, url, body) for url, body in pages]
    assert any(f[4] for f in elsewhere), "no page had a finding: the comparison would prove little"


def test_a_worker_sending_template_parts_by_id_gives_each_page_its_whole_references():
    """With ``parts``, a header or footer goes to the crawler with the first page that shares
    it, by its id after that; put back, every page has the references it has read alone."""
    config = load_config(DEMO_CONFIG)
    pages = demo_pages()
    work = up(PageWork(config, site_hosts=HOSTS, as_of=AS_OF, processes=1, parts=True).start())

    async def read_all() -> list:
        results = [await work.read_elsewhere(url, body, status=200, depth=1, encoding=None, last_modified="")
                   for url, body in pages]
        work.close()
        return results

    results = asyncio.run(read_all())
    known: dict[int, list] = {}
    whole = []
    for page, findings in results:
        refs, at = [], 0
        for part_id, start, stop in page.parts:
            if stop >= 0:
                known.setdefault(part_id, page.refs[start:stop])
                refs += page.refs[at:stop]
                at = stop
            else:  # named by its id: its references belong at ``start``
                refs += page.refs[at:start] + known[part_id]
                at = start
        page.refs = refs + page.refs[at:]
        whole.append(facts(page, findings))
    assert any(stop < 0 for page, _ in results for _, _, stop in page.parts), "no part went by its id"
    assert whole == [read_here(config, url, body) for url, body in pages]


def test_a_page_worker_loads_neither_the_database_nor_scrapy_nor_the_reports():
    """A spawned worker imports ``crawler.page_work`` and, as multiprocessing's spawn does, the
    CLI module that is ``__main__`` again: what those pull in is paid once per worker."""
    probe = ("import sys, storeaudit.cli, crawler.page_work; "
             "print(sorted(m for m in ('sqlite_utils', 'numpy', 'scrapy', 'twisted', 'jinja2') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_an_audit_reads_pages_itself_until_its_worker_is_up():
    """The audit starts its worker before the crawl; until it is up (~1 s of imports) the
    crawler reads on rather than leave pages queued for a process that is not there yet."""
    config = load_config(DEMO_CONFIG)
    url, body = demo_pages()[0]
    work = PageWork(config, site_hosts=HOSTS, as_of=AS_OF, processes=1).start()
    try:
        assert not work.elsewhere
        work.read_here_now(url, body, status=200, depth=1, encoding=None, last_modified="")
        assert not work.elsewhere, "the worker is only starting: the next page is read here"
        up(work)
    finally:
        work.close()


def test_no_worker_is_started_without_processes():
    work = PageWork(load_config(DEMO_CONFIG), site_hosts=HOSTS, as_of=AS_OF, processes=0).start()
    assert not work.workers and not work.elsewhere
    work.close()


def test_an_audit_over_before_its_worker_is_up_does_not_wait_for_it():
    """A store of a few pages can be audited before the worker has imported what it needs:
    closing stops that worker outright (it would otherwise hold up the audit's exit until its
    imports were done, then exit with 0)."""
    work = PageWork(load_config(DEMO_CONFIG), site_hosts=HOSTS, as_of=AS_OF, processes=1).start()
    (worker,) = (w.process for w in work.workers)
    work.close()
    worker.join(30)
    assert worker.exitcode == -signal.SIGTERM


def test_pages_are_read_in_the_crawler_once_a_worker_dies():
    config = load_config(DEMO_CONFIG)
    pages = demo_pages()[:4]
    work = up(PageWork(config, site_hosts=HOSTS, as_of=AS_OF, processes=1).start())

    async def read(url: str, body: bytes):
        return await work.read_elsewhere(url, body, status=200, depth=1, encoding=None, last_modified="")

    async def audit() -> list:
        assert work.elsewhere
        first = await read(*pages[0])
        (worker,) = (w.process for w in work.workers)
        worker.kill()  # as the kernel's OOM killer would
        worker.join(10)
        rest = await asyncio.gather(*(read(url, body) for url, body in pages[1:]))
        return [first, *rest]

    try:
        results = asyncio.run(audit())
    finally:
        work.close()
    assert results[0][1] is not None, "the first page was read and checked by the worker"
    assert [page.url for page, _ in results] == [url for url, _ in pages]
    assert all(findings is None for _, findings in results[1:]), "the rest were read here: the pipeline checks them"
    assert not work.elsewhere


def test_a_page_that_fails_in_the_worker_fails_alone():
    """An error reading one page reaches the crawler with the worker's traceback, as its own
    parse error would; the worker reads the next page."""
    config = load_config(DEMO_CONFIG)
    (url, body), (next_url, next_body) = demo_pages()[:2]
    work = up(PageWork(config, site_hosts=HOSTS, as_of=AS_OF, processes=1).start())

    async def audit():
        with pytest.raises(page_work.WorkerError, match="Traceback"):
            await work.read_elsewhere(url, body, status=200, depth=1, encoding=5, last_modified="")  # type: ignore[arg-type]
        return await work.read_elsewhere(next_url, next_body, status=200, depth=1, encoding=None, last_modified="")

    try:
        page, findings = asyncio.run(audit())
    finally:
        work.close()
    assert page.url == next_url and findings is not None, "read and checked by the same worker"


def test_two_workers_share_the_pages_and_each_page_gets_its_own_answer():
    config = load_config(DEMO_CONFIG)
    pages = demo_pages()
    work = PageWork(config, site_hosts=HOSTS, as_of=AS_OF, processes=2).start()
    deadline = time.monotonic() + 60
    while not all(w.is_up for w in work.workers):
        assert time.monotonic() < deadline, "the workers never came up"
        time.sleep(0.05)

    async def read_all() -> list[tuple]:
        results = await asyncio.gather(*(work.read_elsewhere(url, body, status=200, depth=1, encoding=None,
                                                             last_modified="") for url, body in pages))
        return [facts(page, findings) for page, findings in results]

    try:
        elsewhere = asyncio.run(read_all())
        assert all(w.answers is not None for w in work.workers), "both workers were given pages"
    finally:
        work.close()
    assert elsewhere == [read_here(config, url, body) for url, body in pages]


def test_pages_beyond_the_few_on_their_way_to_a_worker_wait_unpickled():
    """A page queued for a worker keeps sharing its body with Scrapy's response: only
    ``SENT_AHEAD`` are pickled and sent at once (sent all at once, a 1,000-page audit's
    crawler peaked 16 MB higher), and every page still gets its own answer."""
    config = load_config(DEMO_CONFIG)
    pages = (demo_pages() * 4)[:page_work.SENT_AHEAD * 3]
    work = up(PageWork(config, site_hosts=HOSTS, as_of=AS_OF, processes=1).start())

    async def read_all() -> tuple[int, int, list[str]]:
        tasks = [asyncio.ensure_future(work.read_elsewhere(url, body, status=200, depth=1, encoding=None,
                                                           last_modified="")) for url, body in pages]
        sent = queued = 0
        while not all(task.done() for task in tasks):  # the most seen at once, each turn of the loop
            answers = work.workers[0].answers
            if answers is not None:
                sent, queued = max(sent, len(answers.waiting)), max(queued, len(answers.queued))
            await asyncio.sleep(0)
        return sent, queued, [task.result()[0].url for task in tasks]

    try:
        sent, queued, urls = asyncio.run(read_all())
    finally:
        work.close()
    assert sent == page_work.SENT_AHEAD and queued > 0
    assert urls == [url for url, _ in pages]
