"""Browser fixtures: the real app under uvicorn on a free port, and headless Chromium (Playwright).

Every test in this folder is marked ``browser``. When ``/usr/bin/chromium`` is missing the tests
are skipped, except in CI (``PLAYGROUND_REQUIRE_BROWSER=1``) where that is a failure.

Fixtures
--------
live_server : str
    Base URL of the app (``http://127.0.0.1:<port>``), served by uvicorn in a background thread
    for the whole session.
browser
    One headless Chromium for the session.
page
    A fresh context (English locale, 1440×900, downloads allowed) and page per test. Every request
    the page makes is recorded in ``page.requests_made``; the fixture asserts at teardown that
    none left the app (the page must work offline), that no uncaught JavaScript error occurred and
    that the page broke no rule of the Content-Security-Policy; its ``wait_for_function`` takes
    bare expressions as functions (:func:`as_function`: Playwright would ``eval`` them, which
    the policy forbids).
new_page
    Factory for extra pages: ``new_page(locale="ko-KR")``.
module_page
    One English page shared by the tests of a module (saves browser start-up and page loads);
    tests using it must first put the page into a known state (e.g. click a preset).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from live_server import serve_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test collected from this folder as ``browser``."""
    for item in items:
        if BROWSER_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The real app served by uvicorn in a daemon thread; yields its base URL."""
    try:
        with serve_app("uvicorn-browser-tests") as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium, or skip (fail in CI) when it is not installed."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: browser tests need Chromium"
        if os.environ.get("PLAYGROUND_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        if os.environ.get("PLAYGROUND_REQUIRE_BROWSER") == "1":
            pytest.fail("playwright is not installed")
        pytest.skip("playwright is not installed")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def _open_context(browser, base_url: str, locale: str, width: int, height: int):
    return browser.new_context(
        base_url=base_url,
        locale=locale,
        viewport={"width": width, "height": height},
        accept_downloads=True,
    )


CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (ev) => {
  const where = `${ev.sourceFile}:${ev.lineNumber}`;
  console.error(`CSP violation: ${ev.violatedDirective} blocked ${ev.blockedURI || "inline"} (${where})`);
});
"""
"""Reports every Content-Security-Policy violation of a page as a console error (init script)."""


_FUNCTION_TEXT = re.compile(r"^\s*(async\s+)?(function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)")


def as_function(expression: str) -> str:
    """A ``wait_for_function`` predicate as function text: ``"a === b"`` → ``"() => (a === b)"``.

    Playwright polls a bare expression with ``eval`` inside the page, which the app's
    Content-Security-Policy (``script-src 'self'``, no ``'unsafe-eval'``) forbids; a function
    is called directly. Function texts are returned unchanged.
    """
    return expression if _FUNCTION_TEXT.match(expression) else f"() => ({expression})"


def _watch(pg) -> None:
    """Record every request, every uncaught JavaScript error and every CSP violation of a page."""
    wait_for_function = pg.wait_for_function
    pg.wait_for_function = lambda expression, *args, **kwargs: wait_for_function(
        as_function(expression), *args, **kwargs
    )
    pg.requests_made = []
    pg.js_errors = []
    pg.csp_violations = []
    pg.add_init_script(CSP_VIOLATIONS)
    pg.on("request", lambda req: pg.requests_made.append(req.url))
    pg.on("pageerror", lambda err: pg.js_errors.append(str(err)))
    pg.on(
        "console",
        lambda msg: (
            pg.csp_violations.append(msg.text)
            if msg.type == "error" and ("CSP violation" in msg.text or "Content Security Policy" in msg.text)
            else None
        ),
    )


def _assert_clean(pg, base_url: str) -> None:
    """No uncaught JavaScript error, no CSP violation, and no request left the app (the page works offline)."""
    assert pg.js_errors == [], f"uncaught JavaScript errors: {pg.js_errors}"
    assert pg.csp_violations == [], f"Content-Security-Policy violations: {pg.csp_violations}"
    outside = [url for url in pg.requests_made if not url.startswith((base_url, "data:", "blob:", "about:"))]
    assert outside == [], f"the page reached outside the app (must work offline): {outside}"


@pytest.fixture
def new_page(browser, live_server: str) -> Iterator[Callable[..., object]]:
    """Factory: ``new_page(locale="en-US")`` → a page in its own context, checked at teardown."""
    contexts = []
    pages = []

    def make(locale: str = "en-US", width: int = 1440, height: int = 900):
        context = _open_context(browser, live_server, locale, width, height)
        contexts.append(context)
        pg = context.new_page()
        _watch(pg)
        pages.append(pg)
        return pg

    yield make
    try:
        for pg in pages:
            _assert_clean(pg, live_server)
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_page):
    """An English page (locale en-US) in a fresh context."""
    return new_page()


@pytest.fixture(scope="module")
def module_page(browser, live_server: str) -> Iterator[object]:
    """One English page for a whole test module (checked for errors/offline at the end)."""
    context = _open_context(browser, live_server, "en-US", 1440, 900)
    pg = context.new_page()
    _watch(pg)
    try:
        yield pg
        _assert_clean(pg, live_server)
    finally:
        context.close()
