"""A peer that never reads is given up on: aborted, its output dropped, nothing kept for it
(issue 16, item 1). History answers are budgeted in bytes, so one request never builds an
unbounded frame."""

from __future__ import annotations

import asyncio
import json

import pytest
from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.auth import Identity, Role
from chat_service.fanout import Connection
from chat_service.settings import Settings
from tests.conftest import AppFactory
from tests.helpers.raw import open_raw_ws, text_frame
from tests.helpers.settings import settings_with
from tests.helpers.ws import Client, Peer, connect, customer_opens, token_for

LONG = "货" * 7900  # ~24 KB a message in UTF-8


async def _conversation_of_long_messages(client: Client, count: int) -> tuple[Peer, Peer, str]:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, f"0 {LONG}")
    for i in range(1, count):
        cid = await customer.send_text(f"{i} {LONG}", conversation_id=conversation_id)
        await customer.expect("message.ack", client_id=cid)
    return customer, agent, conversation_id


async def _gone_from_registry(client: Client, conn: Connection) -> None:
    """Wait (bounded, for a busy machine) until the server has let the connection go."""
    registry = client.app[keys.REGISTRY]
    async with asyncio.timeout(30):
        while conn in registry.all():  # noqa: ASYNC110  # the server's own state, no event
            await asyncio.sleep(0.02)


@pytest.mark.parametrize(
    ("queue_bytes", "fetches", "reason"),
    [
        # Eight pages asked for, each over the budget: the first is answered, the next
        # requests wait for the peer to take it (they are not even read), and it never does.
        (65536, 8, "send_timeout"),
        (4 * 1024 * 1024, 1, "send_timeout"),  # one page within the budget, never taken
    ],
)
async def test_when_a_peer_never_reads_big_histories_then_it_is_aborted_and_its_output_dropped(
    aiohttp_client: AiohttpClient,
    make_app: AppFactory,
    settings: Settings,
    queue_bytes: int,
    fetches: int,
    reason: str,
) -> None:
    small = settings_with(
        settings,
        limits={
            "send_buffer_bytes": 8192,
            "send_queue_bytes": queue_bytes,
            "send_timeout_secs": 1.0,
        },
    )
    client = await aiohttp_client(make_app(small))
    customer, _agent, conversation_id = await _conversation_of_long_messages(client, 12)
    registry = client.app[keys.REGISTRY]
    identity = Identity(Role.CUSTOMER, "cust-1")
    before = set(registry.all())

    # The same customer on a socket with a tiny receive window that never reads.
    raw = await open_raw_ws(
        client.host,
        client.port,
        token_for(client, "customer", "cust-1"),
        rcvbuf=4096,
        reading=False,
    )
    (never_reads,) = (c for c in registry.all() if c not in before)
    fetch = {"type": "history.fetch", "conversation_id": conversation_id, "after_seq": 0}
    for _ in range(fetches):
        await raw.send(text_frame(json.dumps(fetch)))

    # The server lets it go without it reading a byte (reading now would unblock it)...
    await _gone_from_registry(client, never_reads)
    # ... by resetting the connection, which the client sees when it does read...
    assert await raw.ended() == "reset"
    raw.close()
    # ... and keeps nothing for it.
    assert never_reads.given_up
    assert never_reads.queued_bytes == 0
    assert registry.count(identity) == 1
    metrics = client.app[keys.METRICS]
    assert metrics.connections.labels("customer")._value.get() == 1
    assert metrics.policy_closes.labels(reason)._value.get() == 1

    # The customer's other socket is untouched.
    cid = await customer.send_text("still here", conversation_id=conversation_id)
    await customer.expect("message.ack", client_id=cid)


async def test_when_history_is_bigger_than_a_page_budget_then_it_comes_in_pages_with_nothing_lost(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    budget = 4096
    client = await aiohttp_client(
        make_app(settings_with(settings, limits={"history_page_bytes": budget}))
    )
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    text = "word " * 600  # ~3 KB: two do not fit one page
    conversation_id = await customer_opens(client, customer, agent, f"0 {text}")
    for i in range(1, 4):
        cid = await customer.send_text(f"{i} {text}", conversation_id=conversation_id)
        await customer.expect("message.ack", client_id=cid)

    seqs: list[int] = []
    pages = 0
    after = 0
    while True:
        await customer.send(
            {"type": "history.fetch", "conversation_id": conversation_id, "after_seq": after}
        )
        page = await customer.expect("history", conversation_id=conversation_id)
        pages += 1
        assert page["messages"], "a page always carries at least one message"
        if len(page["messages"]) > 1:
            assert len(json.dumps(page["messages"], ensure_ascii=False).encode()) <= budget
        seqs += [m["seq"] for m in page["messages"]]
        after = seqs[-1]
        if not page["has_more"]:
            break
    assert seqs == [1, 2, 3, 4]
    assert pages == 4  # one ~3 KB message per 4 KB page
