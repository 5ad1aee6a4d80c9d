"""Browser tests: the real app on a real loopback port, driven by Debian's Chromium through
Playwright (async API, on the session's event loop). One browser per session; each test
gets a fresh server (its own database) and fresh browser contexts.

Chromium is started with the background-networking flags off, so it reaches nothing but
the test server (loopback only).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    async_playwright,
)
from pytest_aiohttp import AiohttpServer

from chat_service import keys
from chat_service.app import create_app
from chat_service.auth import Role
from chat_service.scanning import Scanner
from chat_service.settings import Settings
from tests.helpers.settings import settings_with

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
REPO = Path(__file__).resolve().parents[2]
# Set to a folder (e.g. docs/screenshots) to keep the screenshots the tests take.
SCREENSHOTS_ENV = "CHAT_SERVICE_SCREENSHOTS"
STEP_TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Live:
    """The running app and what a test needs to reach it."""

    url: str
    server: Any
    problems: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)
    axe_injected: bool = False

    @property
    def app(self) -> Any:
        return self.server.app

    def token(self, role: str, sub: str, **claims: object) -> str:
        return str(self.app[keys.TOKENS].issue(Role(role), sub, None, extra=claims or None))

    async def page(
        self, browser: Browser, path: str, *, locale: str = "en-US", **options: Any
    ) -> Page:
        """A page in a fresh context; CSP violations and script errors are recorded."""
        context = await browser.new_context(locale=locale, **options)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        self.contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("console", self._on_console)
        await page.goto(self.url + path)
        return page

    def _on_console(self, msg: ConsoleMessage) -> None:
        if msg.type != "error" or "WebSocket" in msg.text:
            return  # a socket refused while offline is expected
        if self.axe_injected and "Applying inline style" in msg.text:
            return  # axe's own probes add inline styles, which the pages' CSP refuses
        self.problems.append(f"console {msg.type}: {msg.text} @ {msg.location}")

    async def widget(
        self, browser: Browser, sub: str, *, lang: str = "en", **claims: object
    ) -> Page:
        token = self.token("customer", sub, **claims)
        page = await self.page(browser, f"/widget/#token={token}&lang={lang}", **_locale(lang))
        await page.locator("[data-testid=connection-state][data-state=open]").wait_for()
        return page

    async def console(self, browser: Browser, sub: str, role: str = "agent") -> Page:
        token = self.token(role, sub)
        page = await self.page(browser, f"/console/#token={token}")
        if role != "privacy_officer":
            await page.locator("[data-testid=connection-state][data-state=open]").wait_for()
        return page

    async def conversation(
        self, browser: Browser, first: str, *, customer: str = "cust-1", agent: str = "agent-1"
    ) -> tuple[Page, Page]:
        """(agent, customer): the customer's widget sends `first`, the agent's console joins."""
        agent_page = await self.console(browser, agent)
        customer_page = await self.widget(browser, customer)
        await send(customer_page, first)
        await join_first(agent_page)
        return agent_page, customer_page

    async def axe(self, page: Page) -> list[dict[str, Any]]:
        """Serious and critical axe-core (WCAG 2 A/AA) violations on the page as it is now.

        axe is evaluated through the DevTools protocol, so the page's own CSP stays in force."""
        if not AXE_JS.is_file():
            pytest.fail(f"{AXE_JS} is missing: run `npm ci --prefix tests/browser` (scripts/setup)")
        self.axe_injected = True
        await page.evaluate(AXE_JS.read_text(encoding="utf-8"))
        result = await page.evaluate(
            """async () => {
                const r = await axe.run(document, {
                    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
                });
                return JSON.stringify(r.violations);
            }"""
        )
        violations: list[dict[str, Any]] = json.loads(result)
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "nodes": [n["target"] for n in v["nodes"]],
                "help": v["help"],
            }
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]


def _locale(lang: str) -> dict[str, Any]:
    return {"locale": "zh-CN" if lang == "zh" else "en-US"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def live(
    aiohttp_server: AiohttpServer, settings: Settings, store_uri: str | None, scanner: Scanner
) -> AsyncIterator[Live]:
    """The app on 127.0.0.1:<port>, its origin the only one allowed to open /ws."""
    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    custom = settings_with(settings, server={"allowed_origins": [origin]})
    server = await aiohttp_server(
        create_app(custom, store_uri=store_uri, scanner=scanner), port=port
    )
    live = Live(url=origin, server=server)
    try:
        yield live
    finally:
        for context in live.contexts:
            await context.close()
    assert live.problems == [], live.problems


@pytest.fixture
def screenshots(tmp_path: Path) -> Iterator[Path]:
    """Where this test saves its screenshots: CHAT_SERVICE_SCREENSHOTS, else a temp dir."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    folder = (REPO / chosen) if chosen else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    yield folder


async def send(page: Page, text: str) -> None:
    """Type a message into the page's composer and press its send button."""
    await page.get_by_test_id("chat-input").fill(text)
    await page.get_by_test_id("chat-send").click()


async def join_first(agent: Page) -> None:
    """The agent joins the (only) waiting conversation."""
    item = agent.get_by_test_id("queue-item")
    await item.get_by_test_id("conversation-join").click()
    await item.filter(has_text="with ").wait_for()
