"""Nothing a customer wrote disappears: one history across their conversations (a divider
where one was closed and the next began), and a clean start after their data was deleted."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect

from chat_service import keys
from chat_service.privacy.deletion import file_and_carry_out, process_due
from tests.browser.conftest import Live, send

MARKS = ("Q1", "A1", "Q2", "DIVIDER")


async def shown(customer: Page) -> list[str]:
    """The widget's list from top to bottom: which mark each item carries."""
    texts = await customer.locator(".csw-list > li").all_inner_texts()
    marks = []
    for text in texts:
        found = [m for m in MARKS[:3] if m in text]
        marks.append(found[0] if len(found) == 1 else "DIVIDER" if not found else text)
    return marks


async def first_exchange(live: Live, browser: Browser) -> tuple[Page, Page]:
    agent, customer = await live.conversation(browser, "Q1 where is my parcel?")
    await send(agent, "A1 it leaves today")
    answer = customer.get_by_test_id("chat-message").filter(has_text="A1")
    await expect(answer).to_have_attribute("data-seq", "2")
    return agent, customer


async def expect_one_history(customer: Page) -> None:
    q2 = customer.get_by_test_id("chat-message").filter(has_text="Q2")
    await expect(q2).to_have_attribute("data-seq", "1")  # the new conversation's first
    await expect(q2).to_have_attribute("data-state", "sent")
    await expect(customer.get_by_test_id("chat-message")).to_have_count(3)
    divider = customer.get_by_test_id("conversation-divider")
    await expect(divider).to_have_count(1)
    await expect(divider).to_be_visible()
    assert await shown(customer) == ["Q1", "A1", "DIVIDER", "Q2"]


async def test_when_the_agent_closes_and_the_customer_writes_again_then_nothing_is_lost(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent, customer = await first_exchange(live, browser)
    await agent.get_by_test_id("conversation-close").click()
    notice = customer.get_by_test_id("widget-notice")
    await expect(notice).to_contain_text("The agent closed this conversation")
    await customer.screenshot(path=screenshots / "widget-closed.png", caret="initial")
    assert await live.axe(customer) == []  # the notice and the divider, for everyone
    await send(customer, "Q2 one more thing")
    await expect_one_history(customer)
    await customer.screenshot(path=screenshots / "widget-history-divider.png", caret="initial")


async def test_when_closed_while_the_customer_was_away_then_they_see_it_all(
    live: Live, browser: Browser
) -> None:
    agent, customer = await first_exchange(live, browser)
    await customer.goto("about:blank")  # away: the widget hears nothing of the close
    await agent.get_by_test_id("conversation-close").click()
    await expect(agent.get_by_test_id("queue-item")).to_have_attribute("data-status", "closed")

    token = live.token("customer", "cust-1")
    await customer.goto(f"{live.url}/widget/#token={token}&lang=en")
    await expect(customer.get_by_test_id("chat-message").filter(has_text="A1")).to_be_visible()
    await send(customer, "Q2 back again")
    await expect_one_history(customer)
    await customer.reload()  # and the same after a reload, from the server's history alone
    await expect(customer.get_by_test_id("chat-message")).to_have_count(3)
    assert await shown(customer) == ["Q1", "A1", "DIVIDER", "Q2"]


async def test_when_the_customers_data_was_deleted_then_the_widget_starts_clean(
    live: Live, browser: Browser
) -> None:
    agent = await live.console(browser, "agent-1")
    customer = await live.widget(browser, "cust-1")
    await send(customer, "Please forget me")
    await expect(customer.get_by_test_id("chat-message")).to_have_attribute("data-seq", "1")
    await customer.get_by_test_id("privacy-menu").click()
    delete = customer.get_by_test_id("privacy-delete")
    await delete.click()
    await delete.click()
    await expect(customer.locator("#csw-privacy")).to_contain_text("Deletion requested")
    services = live.app[keys.SERVICES]
    await process_due(services, notifier=services.notifier)
    assert await services.store.conversations.find_open("cust-1") is None

    await customer.reload()
    notice = customer.get_by_test_id("widget-notice")
    await expect(notice).to_contain_text("deleted")
    await expect(customer.get_by_test_id("chat-message")).to_have_count(0)
    await expect(customer.get_by_text("no such conversation")).to_have_count(0)

    await send(customer, "Hello again")
    again = customer.get_by_test_id("chat-message").filter(has_text="Hello again")
    await expect(again).to_have_attribute("data-state", "sent")
    await expect(again).to_have_attribute("data-seq", "1")
    await expect(customer.get_by_text("Not sent")).to_have_count(0)
    conversation_id = await customer.evaluate(
        "localStorage.getItem('chat-service.conversation.cust-1')"
    )
    assert conversation_id
    fresh = agent.locator(f"[data-testid=queue-item][data-conversation-id='{conversation_id}']")
    await expect(fresh).to_have_count(1)  # the agent has the new conversation waiting


async def test_when_deleted_while_the_widget_is_open_then_the_next_message_is_sent(
    live: Live, browser: Browser
) -> None:
    customer = await live.widget(browser, "cust-1")
    await send(customer, "Please forget me")
    await expect(customer.get_by_test_id("chat-message")).to_have_attribute("data-seq", "1")
    services = live.app[keys.SERVICES]
    identity = live.app[keys.TOKENS].verify(live.token("customer", "cust-1"))
    await file_and_carry_out(services, identity, "cust-1", notifier=services.notifier)

    await send(customer, "Still there?")
    again = customer.get_by_test_id("chat-message").filter(has_text="Still there?")
    await expect(again).to_have_attribute("data-state", "sent")
    await expect(again).to_have_attribute("data-seq", "1")
    await expect(customer.get_by_test_id("widget-notice")).to_contain_text("deleted")
    await expect(customer.get_by_test_id("chat-message")).to_have_count(1)
