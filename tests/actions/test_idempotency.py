"""`client_id` makes a resend idempotent: one stored message, the same ack, every time.

The cases (docs/idempotency.md lists them): replay on the same socket, concurrent
duplicates, resend after reconnect, resend after the ack was lost (crash after write),
resend after the conversation was closed, and the same client_id from another sender.
"""

from __future__ import annotations

import asyncio

from tests.helpers.ws import Client, connect, token_for


async def history_seqs(client: Client, conversation_id: str, sub: str = "cust-1") -> list[int]:
    response = await client.get(
        f"/api/conversations/{conversation_id}/messages",
        headers={"Authorization": "Bearer " + token_for(client, "customer", sub)},
    )
    assert response.status == 200
    return [m["seq"] for m in (await response.json())["messages"]]


async def test_when_a_message_is_replayed_then_the_same_ack_and_one_message(
    client: Client,
) -> None:
    customer = await connect(client, "customer", "cust-1")
    await customer.send_text("hello", client_id="c-1")
    first = await customer.expect("message.ack", client_id="c-1")
    await customer.send_text("hello", client_id="c-1")
    second = await customer.expect("message.ack", client_id="c-1")
    assert {k: second[k] for k in ("message_id", "conversation_id", "seq")} == {
        k: first[k] for k in ("message_id", "conversation_id", "seq")
    }
    assert second["duplicate"] is True
    assert await history_seqs(client, first["conversation_id"]) == [1]


async def test_when_duplicates_arrive_concurrently_then_one_message(client: Client) -> None:
    tab1 = await connect(client, "customer", "cust-1")
    tab2 = await connect(client, "customer", "cust-1")
    await asyncio.gather(
        tab1.send_text("double tap", client_id="c-dup"),
        tab2.send_text("double tap", client_id="c-dup"),
        tab1.send_text("double tap", client_id="c-dup"),
    )
    acks = [
        await tab1.expect("message.ack", client_id="c-dup"),
        await tab2.expect("message.ack", client_id="c-dup"),
        await tab1.expect("message.ack", client_id="c-dup"),
    ]
    assert len({(a["message_id"], a["seq"], a["conversation_id"]) for a in acks}) == 1
    assert sorted(a["duplicate"] for a in acks) == [False, True, True]
    assert await history_seqs(client, acks[0]["conversation_id"]) == [1]


async def test_when_ack_is_lost_and_client_resends_after_reconnect_then_same_ack(
    client: Client,
) -> None:
    phone = await connect(client, "customer", "cust-1")
    await phone.send_text("sent just before the tunnel", client_id="c-lost")
    await phone.close()  # the network drops before the ack is read
    await asyncio.sleep(0.2)
    phone = await connect(client, "customer", "cust-1")
    await phone.send_text("sent just before the tunnel", client_id="c-lost")
    ack = await phone.expect("message.ack", client_id="c-lost")
    assert ack["seq"] == 1
    assert await history_seqs(client, ack["conversation_id"]) == [1]


async def test_when_resent_after_the_conversation_closed_then_the_original_ack(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    await customer.send_text("question", client_id="c-old")
    ack = await customer.expect("message.ack", client_id="c-old")
    await agent.send({"type": "conversation.join", "conversation_id": ack["conversation_id"]})
    await customer.expect("conversation.assigned")
    await agent.send({"type": "conversation.close", "conversation_id": ack["conversation_id"]})
    await customer.expect("conversation.closed")

    await customer.send_text("question", client_id="c-old")
    again = await customer.expect("message.ack", client_id="c-old")
    assert again["message_id"] == ack["message_id"]
    assert again["conversation_id"] == ack["conversation_id"]
    await agent.expect("conversation.opened")  # the first one
    await agent.expect_nothing("conversation.opened")  # no new, empty conversation


async def test_when_two_senders_use_the_same_client_id_then_two_messages(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    await customer.send_text("hi", client_id="same")
    ack = await customer.expect("message.ack", client_id="same")
    await agent.send({"type": "conversation.join", "conversation_id": ack["conversation_id"]})
    await agent.expect("conversation.assigned")
    await agent.send_text("hello", conversation_id=ack["conversation_id"], client_id="same")
    reply = await agent.expect("message.ack", client_id="same")
    assert reply["message_id"] != ack["message_id"]
    assert reply["seq"] == 2
