"""A customer (widget) and an agent (console) in two browser contexts hold a whole
conversation against the real server and store."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import Live, send


async def test_when_customer_and_agent_talk_then_both_see_the_conversation_in_seq_order(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent = await live.console(browser, "agent-1")
    customer = await live.widget(browser, "cust-1")
    await customer.screenshot(path=screenshots / "widget-empty.png", caret="initial")

    await send(customer, "Hello, where is my order?")
    mine = customer.get_by_test_id("chat-message").filter(has_text="where is my order")
    await expect(mine).to_have_attribute("data-seq", "1")
    await expect(mine).to_have_attribute("data-state", "sent")

    item = agent.get_by_test_id("queue-item")
    await expect(item).to_have_count(1)
    await item.get_by_test_id("conversation-join").click()
    await expect(item).to_contain_text("with agent-1")
    seen = agent.get_by_test_id("chat-message").filter(has_text="where is my order")
    await expect(seen).to_have_attribute("data-seq", "1")

    await send(agent, "It left the warehouse this morning.")
    answer = customer.get_by_test_id("chat-message").filter(has_text="left the warehouse")
    await expect(answer).to_have_attribute("data-seq", "2")
    await send(customer, "Thank you!")
    await expect(
        agent.get_by_test_id("chat-message").filter(has_text="Thank you!")
    ).to_have_attribute("data-seq", "3")

    seqs = [
        await m.get_attribute("data-seq")
        for m in await customer.get_by_test_id("chat-message").all()
    ]
    assert seqs == ["1", "2", "3"]
    await customer.screenshot(path=screenshots / "widget-conversation.png", caret="initial")
    await agent.screenshot(path=screenshots / "console-conversation.png", caret="initial")

    await agent.get_by_test_id("conversation-close").click()
    await expect(item).to_have_attribute("data-status", "closed")
