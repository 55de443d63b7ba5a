"""What the dashboard's browser tests share: server processes, Chromium pages at
desktop and phone widths, signing in through the page, accessibility checks
(axe-core, vendored) and screenshots. Import the fixtures into a test module:

    from chatelly.tests.dashboard_browser import *  # noqa: F403
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from testsupport.browser import chromium, new_page, record
from testsupport.servers import ServerProcess, free_port, server_env

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "dashboard"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "dashboard"
# WCAG 2.2 AA, as axe-core tags it.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# The limits a test's many sign-ins and sockets from 127.0.0.1 would hit.
LIFTED = {
    "CHATELLY_WS_CONNECT_RATE": "0/s",
    "CHATELLY_WS_IP_SHARE": "1",
    "CHATELLY_RATE_LOGIN": "1000/m",
    "CHATELLY_RATE_LOGIN_EMAIL": "1000/m",
    "CHATELLY_RATE_REGISTER": "1000/m",
    "CHATELLY_RATE_PASSWORD_RESET": "1000/m",
    "CHATELLY_RATE_PASSWORD_RESET_EMAIL": "1000/m",
    "CHATELLY_RATE_INVITATIONS": "1000/m",
}

__all__ = [
    "DESKTOP",
    "PHONE",
    "axe_violations",
    "browser",
    "dashboard",
    "dashboard_server",
    "emailed_link",
    "mail_server",
    "orm_beside_playwright",
    "record",
    "screenshot",
    "sign_in",
]


@pytest.fixture(autouse=True)
def orm_beside_playwright(monkeypatch):
    # Playwright's sync API keeps an event loop on this thread; the ORM calls
    # made here are plain blocking calls between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def dashboard_server(tmp_path):
    """One uvicorn process (the production server) on the test database and Redis."""
    process = ServerProcess(
        env=server_env(DJANGO_MEDIA_ROOT=str(tmp_path / "media"), **LIFTED), kind="uvicorn"
    ).start()
    yield process
    process.stop()


@pytest.fixture
def mail_server(tmp_path, smtp_server):
    """A dashboard server whose email reaches the tests' SMTP server (`smtp_server`)
    at once: jobs run in the server process (no worker), and the emails' links
    point at this server."""
    port = free_port()
    env = server_env(
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        EMAIL_URL=smtp_server.url,
        CHATELLY_JOBS_EAGER="true",
        CHATELLY_PUBLIC_URL=f"http://127.0.0.1:{port}",
        **LIFTED,
    )
    process = ServerProcess(env=env, port=port, kind="uvicorn").start()
    yield process
    process.stop()


def emailed_link(smtp_server, count: int, route: str) -> str:
    """The /app/#/<route>?token=... link of the `count`-th email received."""
    received = smtp_server.handler.wait_for(count)
    assert len(received) >= count, f"{len(received)} emails, waited for {count}"
    message = received[count - 1]
    text = message.part("text/plain")
    found = re.search(rf"https?://\S+/app/#/{route}\?token=[^\s\"<>]+", text)
    assert found, text
    return found.group(0)


@pytest.fixture
def browser():
    with chromium() as running:
        try:
            yield running
        finally:
            # While Playwright's loop runs on this thread, Django keeps the test's
            # database connection per async context: close it here, in that context.
            connections.close_all()


@pytest.fixture
def dashboard(browser, dashboard_server):
    """dashboard(viewport=DESKTOP, server=None) -> a page on /app/ (fresh cookies)."""

    def open_dashboard(viewport=DESKTOP, server=None):
        page = new_page(browser)
        page.set_viewport_size(viewport)
        page.server = server or dashboard_server
        page.goto(f"{page.server.url}/app/")
        return page

    return open_dashboard


def sign_in(page, email: str, password: str) -> None:
    """Log in through the page's form; returns once the inbox shows."""
    page.goto(f"{page.server.url}/app/#/login")
    page.get_by_role("heading", name="Log in to Chatelly").wait_for()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"#/inbox"))


def axe_violations(page, *, exclude_rules: tuple[str, ...] = ()) -> list[dict]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now. Evaluated
    through the DevTools protocol: the page's CSP does not apply to it."""
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags}})).violations
          .map(v => ({id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))""",
        WCAG_TAGS,
    )
    return [v for v in result if v["id"] not in exclude_rules]


def screenshot(page, name: str) -> Path:
    """A screenshot of the page; kept as docs/dashboard/<name>.png (the README
    shows them) when CHATELLY_SCREENSHOTS=1, else in the test's artifacts."""
    folder = SCREENSHOTS if os.environ.get("CHATELLY_SCREENSHOTS") == "1" else ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
