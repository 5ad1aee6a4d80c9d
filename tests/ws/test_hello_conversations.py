"""`hello` lists a customer's own conversations (oldest first) so the widget can show one
history across them; other roles get no such list, and a deleted customer an empty one."""

from __future__ import annotations

from typing import Any

from chat_service import keys
from chat_service.privacy.deletion import file_and_carry_out
from tests.helpers.consent import assigned_chat
from tests.helpers.ws import Client, token_for


async def hello_of(client: Client, role: str, sub: str) -> dict[str, Any]:
    ws = await client.ws_connect(f"/ws?token={token_for(client, role, sub)}")
    try:
        hello: dict[str, Any] = await ws.receive_json(timeout=10)
    finally:
        await ws.close()
    assert hello["type"] == "hello"
    return hello


async def test_when_a_customer_connects_then_hello_lists_their_conversations_oldest_first(
    client: Client,
) -> None:
    chat = await assigned_chat(client, customer_sub="cust-h")
    await chat.agent.send({"type": "conversation.close", "conversation_id": chat.conversation_id})
    await chat.customer.expect("conversation.closed")
    client_id = await chat.customer.send_text("One more question")
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    assert ack["conversation_id"] != chat.conversation_id

    hello = await hello_of(client, "customer", "cust-h")
    listed = hello["conversations"]
    assert [c["id"] for c in listed] == [chat.conversation_id, ack["conversation_id"]]
    assert [c["status"] for c in listed] == ["closed", "open"]
    assert listed[0]["closed_at"] is not None and listed[1]["closed_at"] is None
    # Someone else's conversations are never listed.
    assert (await hello_of(client, "customer", "cust-other"))["conversations"] == []


async def test_when_an_agent_connects_then_hello_has_no_conversation_list(client: Client) -> None:
    hello = await hello_of(client, "agent", "agent-h")
    assert "conversations" not in hello


async def test_when_the_customers_data_was_deleted_then_hello_lists_no_conversation(
    client: Client,
) -> None:
    chat = await assigned_chat(client, customer_sub="cust-gone")
    await chat.customer.close()
    services = client.app[keys.SERVICES]
    identity = client.app[keys.TOKENS].verify(token_for(client, "customer", "cust-gone"))
    await file_and_carry_out(services, identity, "cust-gone", notifier=services.notifier)
    assert (await hello_of(client, "customer", "cust-gone"))["conversations"] == []
