"""The console's inbox (issue 20, items 1-3; docs/inbox.md): customers named as the shop
sent them (as text, never markup), every view's count kept live, a closed conversation
still there after a reload, and a first load of one inbox read with every module preloaded."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Browser, Request, expect

from tests.browser.conftest import STEP_TIMEOUT_MS, Live, join_first, send

MARKUP_NAME = '<img src=x data-testid=injected onerror="document.title=1">Zhang Wei'


async def test_when_a_named_customer_is_served_and_closed_then_the_inbox_keeps_them_after_reload(
    live: Live, browser: Browser
) -> None:
    token = live.token("agent", "agent-inbox")
    agent = await live.page(browser, f"/console/#token={token}")
    await agent.locator("[data-testid=connection-state][data-state=open]").wait_for()
    customer_token = live.token(
        "customer", "cust-inbox", name=MARKUP_NAME, profile={"order": "A-1001"}
    )
    customer = await live.page(browser, f"/widget/#token={customer_token}&lang=en")
    await customer.locator("[data-testid=connection-state][data-state=open]").wait_for()
    await send(customer, "Where is my order?")

    item = agent.get_by_test_id("queue-item")
    await expect(item).to_contain_text(MARKUP_NAME)  # the characters, shown as text
    await expect(agent.get_by_test_id("injected")).to_have_count(0)
    await join_first(agent)
    await agent.get_by_test_id("conversation-close").click()
    await expect(item).to_have_attribute("data-status", "closed")

    await agent.reload()
    await agent.locator("[data-testid=connection-state][data-state=open]").wait_for()
    closed = agent.locator("[data-testid=queue-item][data-status=closed]")
    await expect(closed).to_have_count(1)
    await expect(closed).to_contain_text(MARKUP_NAME)
    counts = agent.get_by_test_id("inbox-counts")
    await expect(counts).to_have_text("Mine 0 · Unassigned 0 · Closed 1")
    await expect(agent.get_by_test_id("injected")).to_have_count(0)
    assert await live.axe(agent) == []

    await send(customer, "One more question")  # a new conversation: the counts follow live
    await expect(counts).to_have_text("Mine 0 · Unassigned 1 · Closed 1")
    await expect(agent.locator("[data-testid=queue-item][data-status=open]")).to_contain_text(
        MARKUP_NAME
    )


async def test_when_a_customer_waits_with_a_card_number_then_the_row_shows_it_masked_in_its_view(
    live: Live, browser: Browser
) -> None:
    token = live.token("agent", "agent-rows")
    agent = await live.page(browser, f"/console/#token={token}")
    await agent.locator("[data-testid=connection-state][data-state=open]").wait_for()
    customer_token = live.token("customer", "cust-rows", name="Li Lei")
    customer = await live.page(browser, f"/widget/#token={customer_token}&lang=en")
    await customer.locator("[data-testid=connection-state][data-state=open]").wait_for()
    await send(customer, "My card is 4111 1111 1111 1111, please refund it.")

    item = agent.get_by_test_id("queue-item")
    await expect(item.get_by_test_id("inbox-preview")).to_have_text(
        "My card is [CREDIT_CARD], please refund it."
    )  # live, as the server rendered it for this agent
    await expect(item.get_by_test_id("inbox-waiting")).to_have_text("waiting under 1 min")
    await expect(item.get_by_test_id("inbox-unanswered")).to_have_text("1 unanswered")

    await agent.reload()  # the same row from GET /api/inbox
    await expect(item.get_by_test_id("inbox-preview")).to_have_text(
        "My card is [CREDIT_CARD], please refund it."
    )
    await expect(item.get_by_test_id("inbox-unanswered")).to_have_text("1 unanswered")
    assert "4111" not in await agent.locator(".con-side").inner_text()

    views = agent.get_by_test_id("inbox-view")
    await expect(views).to_have_text(["Mine 0", "Unassigned 1", "Closed 0"])
    await agent.locator("[data-testid=inbox-view][data-view=mine]").click()
    await expect(item).to_have_count(0)
    unassigned = agent.locator("[data-testid=inbox-view][data-view=unassigned]")
    await unassigned.click()
    await expect(unassigned).to_have_attribute("aria-pressed", "true")
    await expect(item).to_have_count(1)
    assert await live.axe(agent) == []


async def test_when_a_customer_returns_then_the_panel_shows_their_consent_and_earlier_conversation(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    token = live.token("agent", "agent-panel")
    agent = await live.page(browser, f"/console/#token={token}")
    await agent.locator("[data-testid=connection-state][data-state=open]").wait_for()
    customer_token = live.token(
        "customer", "cust-panel", name="Wang Fang", profile={"order": "A-2002"}
    )
    customer = await live.page(browser, f"/widget/#token={customer_token}&lang=en")
    await customer.locator("[data-testid=connection-state][data-state=open]").wait_for()
    await send(customer, "My card is 4111 1111 1111 1111, please refund it.")
    prompt = customer.get_by_test_id("consent-request")
    await prompt.get_by_test_id("consent-grant").click()
    await expect(prompt).to_have_count(0)
    await join_first(agent)
    await agent.get_by_test_id("conversation-close").click()
    await expect(agent.get_by_test_id("queue-item")).to_have_attribute("data-status", "closed")

    await send(customer, "Me again: the refund has not arrived.")  # a second conversation
    returning = agent.locator("[data-testid=queue-item][data-status=open]")
    await expect(returning.get_by_test_id("inbox-preview")).to_have_text(
        "Me again: the refund has not arrived."
    )
    await returning.locator(".con-queue-open").click()
    panel = agent.get_by_test_id("customer-panel")
    await expect(panel.get_by_test_id("panel-fields")).to_contain_text("Wang Fang")
    await expect(panel.get_by_test_id("panel-fields")).to_contain_text("orderA-2002")
    await expect(panel.get_by_test_id("panel-fields")).to_contain_text("LanguageEnglish")
    await expect(returning.get_by_test_id("inbox-lang")).to_have_text("English")
    await expect(panel.get_by_test_id("panel-consent")).to_contain_text(
        "bank card or account · granted"
    )
    earlier = panel.get_by_test_id("panel-conversation")
    await expect(earlier).to_have_count(1)
    assert await live.axe(agent) == []
    await agent.screenshot(path=str(screenshots / "console-inbox.png"), full_page=True)

    await earlier.click()  # the earlier conversation's history, as this agent may read it
    await expect(agent.get_by_test_id("conversation-title")).to_contain_text("closed")
    await expect(agent.get_by_test_id("chat-message")).to_contain_text(
        ["My card is"], use_inner_text=True
    )

    # the customer switches the widget to Chinese: their open conversation's row and, while
    # it is shown, its panel follow live (no reload of the console)
    await returning.locator(".con-queue-open").click()
    shown = panel.get_by_test_id("panel-history").locator("[aria-current=true]")
    await expect(shown).to_contain_text("open · this one")  # the panel of the open one
    await expect(panel.get_by_test_id("panel-fields")).to_contain_text("LanguageEnglish")
    await customer.get_by_test_id("lang-switch").select_option("zh")  # reloads the widget
    await expect(returning.get_by_test_id("inbox-lang")).to_have_text("Chinese")
    await expect(panel.get_by_test_id("panel-fields")).to_contain_text("LanguageChinese")


async def test_when_the_console_loads_then_it_reads_the_inbox_once_and_preloads_every_module(
    live: Live, browser: Browser
) -> None:
    customer = await live.widget(browser, "cust-once", name="Liu Yang")
    await send(customer, "Is my parcel on its way?")
    requested: list[str] = []

    def note(request: Request) -> None:
        url = urlsplit(request.url)
        requested.append(url.path + (f"?{url.query}" if url.query else ""))

    context = await browser.new_context()  # as live.page, listening before the console loads
    context.set_default_timeout(STEP_TIMEOUT_MS)
    live.contexts.append(context)
    agent = await context.new_page()
    agent.on("pageerror", lambda exc: live.problems.append(f"page error: {exc}"))
    agent.on("console", live._on_console)
    agent.on("request", note)
    await agent.goto(live.url + f"/console/#token={live.token('agent', 'agent-once')}")
    await agent.locator("[data-testid=connection-state][data-state=open]").wait_for()
    await expect(agent.get_by_test_id("queue-item")).to_contain_text("Liu Yang")
    await expect(agent.get_by_test_id("inbox-counts")).to_have_text(
        "Mine 0 · Unassigned 1 · Closed 0"
    )
    # A request the page makes now is reported after every request it made before.
    async with agent.expect_request(lambda r: r.url.endswith("/healthz?after-load")):
        await agent.evaluate("fetch('/healthz?after-load')")

    # The open views and every count in one read after the socket's hello (nothing opened
    # meanwhile can be missed), the closed view's first page after it; no second list.
    assert [p for p in requested if p.startswith("/api/inbox")] == [
        "/api/inbox?view=open",
        "/api/inbox?view=closed",
    ], requested
    assert "/api/conversations" not in requested, requested
    preloaded = await agent.evaluate(
        "[...document.querySelectorAll('link[rel=modulepreload]')]"
        ".map((link) => new URL(link.href).pathname)"
    )
    modules = {p for p in requested if p.startswith("/assets/") and p.endswith(".js")}
    assert modules - {"/assets/console/console.js"} == set(preloaded), sorted(modules)
