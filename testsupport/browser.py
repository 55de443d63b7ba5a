"""Headless Chromium (Debian's) driven by Playwright, for the browser tests (widget, dashboard)."""

import functools
import http.server
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHATELLY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip without Chromium on a developer machine; in CI its absence is a failure."""
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    message = f"Chromium not found at {CHROMIUM} (make system-deps installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def record(page):
    """The page, keeping its console messages (`page.console_messages`) and
    uncaught script errors (`page.page_errors`)."""
    page.console_messages = []
    page.page_errors = []
    page.on("console", lambda message: page.console_messages.append((message.type, message.text)))
    page.on("pageerror", lambda error: page.page_errors.append(str(error)))
    return page


def new_page(browser):
    """A page in a fresh context, recording console messages and page errors."""
    return record(browser.new_context().new_page())


@contextmanager
def chromium():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chromium_page():
    with chromium() as browser:
        yield new_page(browser)


@contextmanager
def static_site(directory: Path, port: int):
    """Serve `directory` on 127.0.0.1:port in a thread: a third-party host page."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
