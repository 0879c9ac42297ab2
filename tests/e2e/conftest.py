"""What every browser journey shares."""

from __future__ import annotations

import threading

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=en-GB",
]


@pytest.fixture
def browser():
    """Debian's Chromium (a browser download fails on the test machines), British English."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def close_connections_opened_under_playwright(monkeypatch):
    """Playwright's sync API runs an asyncio loop in the test's own thread. While it runs,
    Django (through asgiref) keeps database connections per context rather than per thread,
    so the ORM calls of a fixture or test open a second connection that Django's teardown
    never sees (and that context outlives the test, so the next test opens it again); left
    open, PostgreSQL refuses to drop the test database at the end of the run. Every
    connection this thread is handed during the test is closed after it."""
    from django.db.utils import ConnectionHandler

    used = {}
    get = ConnectionHandler.__getitem__

    def recording(self, alias):
        connection = get(self, alias)
        used[id(connection)] = connection
        return connection

    monkeypatch.setattr(ConnectionHandler, "__getitem__", recording)
    yield
    this_thread = threading.get_ident()
    for connection in used.values():
        if connection._thread_ident == this_thread:  # the server's threads close their own
            connection.close()
