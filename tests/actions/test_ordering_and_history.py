"""seq: strictly increasing, no gaps or duplicates under concurrent senders; catch-up."""

from __future__ import annotations

import asyncio

from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.settings import Settings
from tests.conftest import AppFactory
from tests.helpers.settings import settings_with
from tests.helpers.ws import Client, Peer, connect, customer_opens, token_for


async def test_when_many_send_at_once_then_seqs_are_1_to_n_without_gaps(client: Client) -> None:
    agent = await connect(client, "agent", "agent-1")
    tabs = [await connect(client, "customer", "cust-1") for _ in range(3)]
    conversation_id = await customer_opens(client, tabs[0], agent, "start")
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await agent.expect("conversation.assigned")

    async def burst(peer: Peer, prefix: str, n: int) -> list[int]:
        ids = [
            await peer.send_text(
                f"{prefix} {i}", conversation_id=conversation_id, client_id=f"{prefix}-{i}"
            )
            for i in range(n)
        ]
        return [(await peer.expect("message.ack", client_id=c))["seq"] for c in ids]

    results = await asyncio.gather(
        burst(agent, "agent", 10), *(burst(t, f"tab{i}", 10) for i, t in enumerate(tabs))
    )
    seqs = sorted(s for r in results for s in r)
    assert seqs == list(range(2, 42))
    for r in results:
        assert r == sorted(r), "one sender's messages keep their order"

    response = await client.get(
        f"/api/conversations/{conversation_id}/messages",
        headers={"Authorization": "Bearer " + token_for(client, "agent", "agent-1")},
    )
    assert [m["seq"] for m in (await response.json())["messages"]] == list(range(1, 42))


async def test_when_client_reconnects_then_history_gives_exactly_what_it_missed(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    phone = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, phone, agent, "one")
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await phone.expect("conversation.assigned")
    await phone.expect_message(seq=1)
    await phone.close()  # seen up to seq 1

    for text in ("two", "three", "four"):
        cid = await agent.send_text(text, conversation_id=conversation_id)
        await agent.expect("message.ack", client_id=cid)

    phone = await connect(client, "customer", "cust-1")
    await phone.send({"type": "history.fetch", "conversation_id": conversation_id, "after_seq": 1})
    history = await phone.expect("history")
    assert [(m["seq"], m["text"]) for m in history["messages"]] == [
        (2, "two"),
        (3, "three"),
        (4, "four"),
    ]
    assert history["has_more"] is False


async def test_when_history_is_longer_than_a_page_then_has_more_pages_through(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    client = await aiohttp_client(make_app(settings_with(settings, limits={"history_page": 3})))
    assert client.app[keys.SETTINGS].config.limits.history_page == 3
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "m1")
    for i in range(2, 8):
        cid = await customer.send_text(f"m{i}")
        await customer.expect("message.ack", client_id=cid)
    seen: list[int] = []
    after = 0
    while True:
        await customer.send(
            {"type": "history.fetch", "conversation_id": conversation_id, "after_seq": after}
        )
        page = await customer.expect("history")
        seen += [m["seq"] for m in page["messages"]]
        if not page["has_more"]:
            break
        after = seen[-1]
    assert seen == list(range(1, 8))


async def test_when_after_seq_is_not_a_number_then_400(client: Client) -> None:
    response = await client.get(
        "/api/conversations/c_x/messages?after_seq=-1",
        headers={"Authorization": "Bearer " + token_for(client, "customer", "cust-1")},
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"
