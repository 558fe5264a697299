"""End-to-end tests in a real Chromium, driven by Playwright, against live_server.

The browser is the machine's Chromium (the Debian package, which `make test`
installs), never a browser Playwright downloads. Each person in a test gets a
browser context of their own, so their own cookies and admin session, and logs
in through the real login form.

Browser tests are marked `browser` and use the database transactionally: the
live server answers from another thread, so it must see committed rows.
"""

import os
from pathlib import Path

import pytest
from django.test import override_settings
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.factories import PASSWORD

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI and dev containers run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Nothing may call home: the test network is closed, and waiting on it stalls startup.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
# How long a step may wait for the page: actions (the context's default) and
# `expect` assertions alike. Playwright's own 5 s for `expect` was too short
# for an image from S3 while CI's two cores ran the rest of the suite.
WAIT_MS = 10_000
expect.set_options(timeout=WAIT_MS)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.access(path, os.X_OK):
        pytest.fail(
            f"Browser tests need Chromium, and there is none at {path}. `make test` "
            "installs it (the Debian package `chromium`); or point CHROMIUM_PATH at one.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser(chromium_path) -> Browser:
    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API leaves its event loop marked running in this thread
        # until the session ends, and Django refuses ORM calls from a thread with a
        # running loop: every later test, browser or not, needs this.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live_server, started without the redirect to HTTPS.

    SecurityMiddleware reads SECURE_SSL_REDIRECT once, when the server builds its
    handler: before any function-scoped settings fixture runs.
    """
    with override_settings(SECURE_SSL_REDIRECT=False):
        return request.getfixturevalue("live_server")


@pytest.fixture
def new_context(browser, live_server, transactional_db, roles):
    """Make fresh browser contexts, each its own session, opening pages on live_server.

    Keyword arguments go to `Browser.new_context` (e.g. `color_scheme="dark"`).
    """
    contexts = []

    def make(**options) -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, **options)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def _login(target: BrowserContext | Page, user) -> Page:
    page = target.new_page() if isinstance(target, BrowserContext) else target
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errornote")).to_have_count(0)
    expect(page.locator("#user-tools")).to_contain_text(user.get_username(), ignore_case=True)
    return page


@pytest.fixture
def login():
    """`login(context_or_page, user)`: log in through the admin's login form; gives the page."""
    return _login


def _stylesheets_loaded(page: Page) -> bool:
    return page.evaluate(
        """() => [...document.querySelectorAll('link[rel="stylesheet"]')]
            .every(link => link.sheet && link.sheet.cssRules.length > 0)"""
    )


def _save_screenshot(page: Page, name: str) -> Path:
    # An unstyled page would end up in the README; refuse to save one.
    assert _stylesheets_loaded(page), f"{page.url}: a stylesheet did not load"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    return path


@pytest.fixture
def screenshot():
    """`screenshot(page, name)`: save the full page as docs/screenshots/<name>.png."""
    return _save_screenshot
