"""The HTML report in a real browser: headless Chromium (Debian's `chromium`, installed by .ci/run)
driven by Playwright. No console errors under the report's CSP, the filters work, crawled HTML
shows as text and never runs, and the report is complete with scripts off.

Screenshots are kept in tests/artifacts/ (ignored by git) for a human to look at.
"""

from __future__ import annotations

import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import run_cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EVIL_TITLE = '<script>window.__pwned = "title"</script> Winter <img src=x onerror="window.__pwned=1"> sale'
EVIL_TEXT = '<img src=x onerror="window.__pwned=2"> Gift cards'
EVIL_PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>&lt;script&gt;window.__pwned = "title"&lt;/script&gt; Winter &lt;img src=x onerror="window.__pwned=1"&gt; sale</title></head>
<body><main><h1>Sale</h1><p>Buy a <a href="/gift-cards">&lt;img src=x onerror="window.__pwned=2"&gt; Gift cards</a>.</p></main></body></html>
"""

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Page:
    """A report opened in a fresh browser context, with every console error and page error kept."""

    def __init__(self, browser, path: Path, *, javascript: bool = True):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=javascript)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.resolve().as_uri())

    def visible_groups(self) -> int:
        return self.page.locator("details.group:visible").count()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def evil_report(tmp_path_factory) -> Path:
    """Audit a one-page store whose title and link text are HTML; return its HTML report."""
    folder = tmp_path_factory.mktemp("evil")
    site = folder / "site"
    site.mkdir()
    (site / "index.html").write_text(EVIL_PAGE, encoding="utf-8")
    handler = partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = run_cli("audit", f"http://127.0.0.1:{server.server_address[1]}/", "--db", str(folder / "a.db"),
                         "--output", str(folder / "report.html"), "--as-of", "2026-11-25", "-q")
    finally:
        server.shutdown()
        server.server_close()
    assert result.code == 1, result.stderr  # the broken gift-card link
    return folder / "report.html"


def test_crawled_html_shows_as_text_and_never_runs(browser, evil_report):
    view = Page(browser, evil_report)
    try:
        page = view.page
        assert page.evaluate("typeof window.__pwned") == "undefined"
        text = page.inner_text("body")
        assert EVIL_TITLE in text and EVIL_TEXT in text
        assert page.evaluate("document.images.length") == 0
        assert page.locator("script").count() == 1  # only the report's own
        csp = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
        assert "default-src 'none'" in csp and "script-src 'sha256-" in csp
        assert view.errors == []  # the hashed script ran without a CSP complaint
        page.screenshot(path=str(artifact("report-crawled-html.png")))
    finally:
        view.close()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    print(f"screenshot: {path}")
    return path


def test_filters_work_on_a_store_with_history(browser, store_history):
    report = Path(store_history["folder"]) / "history.html"
    assert run_cli("report", "--db", store_history["db"], "--format", "html", "-o", str(report)).code == 0
    view = Page(browser, report)
    try:
        page = view.page
        total = page.locator("details.group").count()
        assert total > 5 and view.visible_groups() == total
        assert page.inner_text("#shown") == f"{total} of {total} defects shown"
        page.screenshot(path=str(artifact("report.png")), full_page=True)

        page.select_option("select[name=team]", "content")
        assert page.locator("#team-it").is_hidden() and page.locator("#team-content").is_visible()
        content = view.visible_groups()
        assert 0 < content < total

        page.select_option("select[name=severity]", "warning")
        sev = page.locator("details.group:visible")
        assert sev.count() > 0
        assert {sev.nth(i).get_attribute("data-severity") for i in range(sev.count())} == {"warning"}

        page.click("button[type=reset]")
        page.fill("input[name=q]", "returns form")
        assert view.visible_groups() == 1
        assert "/returns-form" in page.locator("details.group:visible").inner_text()
        assert page.inner_text("#shown") == f"1 of {total} defects shown"

        page.fill("input[name=q]", "")
        page.select_option("select[name=category]", "broken-image")
        imgs = page.locator("details.group:visible")
        assert {imgs.nth(i).get_attribute("data-category") for i in range(imgs.count())} == {"broken-image"}

        page.click("#collapse-all")
        assert page.locator("details.group[open]").count() == 0
        page.click("#expand-all")
        assert page.locator("details.group:visible:not([open])").count() == 0

        page.emulate_media(media="print")
        assert page.locator("#filters").is_hidden()
        assert view.errors == []
    finally:
        view.close()


def test_report_is_complete_with_scripts_off(browser, store_history):
    report = Path(store_history["folder"]) / "history.html"
    if not report.exists():
        run_cli("report", "--db", store_history["db"], "--format", "html", "-o", str(report))
    view = Page(browser, report, javascript=False)
    try:
        page = view.page
        assert page.locator("#filters").is_hidden()  # filters need the script: not shown without it
        total = page.locator("details.group").count()
        assert view.visible_groups() == total
        first = page.locator("details.group").first
        was_open = first.evaluate("d => d.open")
        first.locator("summary").click()  # <details> opens and closes without any script
        assert first.evaluate("d => d.open") != was_open
        assert "/returns-form" in page.inner_text("body")
        # one trend line per team (content, it and the demo config's marketing), drawn without scripts
        assert page.locator("svg polyline").count() == 3
        page.screenshot(path=str(artifact("report-no-script.png")))
    finally:
        view.close()
