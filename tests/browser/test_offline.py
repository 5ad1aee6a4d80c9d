"""Phone reality: a message sent offline waits in the outbox with a visible state and is
delivered exactly once when the connection returns, also when it is sent again."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from chat_service import keys
from tests.browser.conftest import Live, join_first, send

OUTBOX = "chat-service.outbox.cust-1"


async def test_when_offline_then_the_message_waits_and_arrives_once_when_back_online(
    live: Live, browser: Browser
) -> None:
    agent = await live.console(browser, "agent-1")
    customer = await live.widget(browser, "cust-1")
    await send(customer, "Hello")
    await join_first(agent)
    await expect(customer.get_by_test_id("chat-message")).to_have_attribute("data-seq", "1")

    # The phone loses its network; the server sees the socket go.
    await customer.context.set_offline(True)
    for conn in live.app[keys.REGISTRY].all():
        if conn.identity.sub == "cust-1":
            await conn.ws.close()
    state = customer.get_by_test_id("connection-state")
    await expect(state).to_have_attribute("data-state", "offline")

    await send(customer, "Sent while offline")
    waiting = customer.get_by_test_id("chat-message").filter(has_text="Sent while offline")
    await expect(waiting).to_have_attribute("data-state", "sending")
    await expect(waiting).to_contain_text("Waiting for connection")
    assert "Sent while offline" in await customer.evaluate(f"localStorage.getItem('{OUTBOX}')")

    await customer.context.set_offline(False)
    await expect(waiting).to_have_attribute("data-state", "sent")
    await expect(waiting).to_have_attribute("data-seq", "2")
    delivered = agent.get_by_test_id("chat-message").filter(has_text="Sent while offline")
    await expect(delivered).to_have_count(1)
    assert await customer.evaluate(f"localStorage.getItem('{OUTBOX}')") == "[]"


async def test_when_an_acknowledged_message_is_sent_again_then_it_is_stored_and_shown_once(
    live: Live, browser: Browser
) -> None:
    """The ack was lost (the phone died right after sending): after a reload the outbox
    sends the message again with the same client_id, and the server keeps one."""
    agent = await live.console(browser, "agent-1")
    customer = await live.widget(browser, "cust-1")
    await send(customer, "Hello")
    await join_first(agent)
    await send(customer, "Only once please")
    mine = customer.get_by_test_id("chat-message").filter(has_text="Only once please")
    await expect(mine).to_have_attribute("data-seq", "2")
    client_id = await mine.get_attribute("data-client-id")
    assert client_id
    conversation_id = await customer.evaluate(
        "localStorage.getItem('chat-service.conversation.cust-1')"
    )
    frame = {
        "type": "message.send",
        "client_id": client_id,
        "kind": "text",
        "text": "Only once please",
        "conversation_id": conversation_id,
    }
    entry = {"client_id": client_id, "frame": frame, "state": "sending", "error": None}
    await customer.evaluate(
        "([key, entry]) => localStorage.setItem(key, JSON.stringify([entry]))", [OUTBOX, entry]
    )
    await customer.reload()
    await expect(customer.get_by_test_id("chat-message")).to_have_count(2)
    again = customer.get_by_test_id("chat-message").filter(has_text="Only once please")
    await expect(again).to_have_attribute("data-seq", "2")
    await expect(again).to_have_attribute("data-state", "sent")
    # A function, not an expression string: Playwright polls an expression with eval(),
    # which the page's CSP (no 'unsafe-eval') refuses.
    await customer.wait_for_function("key => localStorage.getItem(key) === '[]'", arg=OUTBOX)
    await agent.reload()
    await agent.get_by_test_id("queue-item").first.click()
    await expect(agent.get_by_test_id("chat-message")).to_have_count(2)


async def test_when_the_network_returns_with_the_socket_still_open_then_the_outbox_flushes(
    live: Live, browser: Browser
) -> None:
    """The browser says offline, but its socket survives (the agent's replies keep coming):
    back online, the client is open again and sends what waited, without a reload."""
    agent, customer = await live.conversation(browser, "Hello")
    await expect(customer.get_by_test_id("chat-message")).to_have_attribute("data-seq", "1")

    await customer.context.set_offline(True)
    state = customer.get_by_test_id("connection-state")
    await expect(state).to_have_attribute("data-state", "offline")
    await send(customer, "First while offline")
    await send(customer, "Second while offline")
    waiting = customer.get_by_test_id("chat-message").filter(has_text="while offline")
    await expect(waiting).to_have_count(2)
    for item in await waiting.all():
        await expect(item).to_contain_text("Waiting for connection")
    await send(agent, "A reply sent meanwhile")
    await expect(
        agent.get_by_test_id("chat-message").filter(has_text="meanwhile")
    ).to_have_attribute("data-seq", "2")

    await customer.context.set_offline(False)
    await expect(state).to_have_attribute("data-state", "open")
    for item in await waiting.all():
        await expect(item).to_have_attribute("data-state", "sent")
    seqs = [await item.get_attribute("data-seq") for item in await waiting.all()]
    assert seqs == ["3", "4"]
    await expect(
        customer.get_by_test_id("chat-message").filter(has_text="meanwhile")
    ).to_have_attribute("data-seq", "2")
    for text in ("First while offline", "Second while offline"):
        await expect(agent.get_by_test_id("chat-message").filter(has_text=text)).to_have_count(1)
    await send(agent, "And the next reply too")
    await expect(
        customer.get_by_test_id("chat-message").filter(has_text="next reply")
    ).to_have_attribute("data-seq", "5")
    assert await customer.evaluate(f"localStorage.getItem('{OUTBOX}')") == "[]"
