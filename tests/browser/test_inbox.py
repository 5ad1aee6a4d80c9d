"""The console's inbox (issue 20, items 1-3; docs/inbox.md): customers named as the shop
sent them (as text, never markup), every view's count kept live, and a closed conversation
still there after a reload."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import Live, join_first, send

MARKUP_NAME = '<img src=x data-testid=injected onerror="document.title=1">Zhang Wei'


async def test_when_a_named_customer_is_served_and_closed_then_the_inbox_keeps_them_after_reload(
    live: Live, browser: Browser, screenshots: Path
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
    await agent.screenshot(path=str(screenshots / "console-inbox.png"), full_page=True)
