"""Two instances on one store and one Redis (chat_service/fanout_redis.py): a customer on
one and the agent on the other hold a whole conversation; consent decided on one is known
to the other's cache; a publish lost while Redis is down is caught up from history, and
publishes resume once Redis is back.

A real `redis-server` (Debian) on a free loopback port, two real aiohttp apps on the
module's embedded store, real WebSocket clients. Waits are on events (frames, the fan-out's
subscription state), never on time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.auth import Identity, Role
from chat_service.fanout import Audience, Description, Portable, Render, constant
from chat_service.fanout_redis import RedisFanOut
from chat_service.json_types import JsonObject
from chat_service.settings import Secret, Settings
from chat_service.storage.consents import DeciderDoc, EvidenceDoc
from tests.conftest import AppFactory
from tests.helpers.consent import CARD_TEXT, MASKED_CARD_TEXT, answer
from tests.helpers.redis import CuttableLink, RedisServer, running_redis
from tests.helpers.ws import Client, Peer, connect

CONNECT_TIMEOUT_SECS = 15.0  # the subscriber backs off up to 5 s between attempts
PURPOSE = "customer_service"


@pytest.fixture
async def redis() -> AsyncIterator[RedisServer]:
    async for server in running_redis():
        yield server


@pytest.fixture
async def instances(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings, redis: RedisServer
) -> tuple[Client, Client]:
    """Instances A and B: one store (the same database), one Redis, both subscribed."""
    shared = settings.with_overrides(redis_url=Secret(redis.url))
    a = await aiohttp_client(make_app(shared))
    b = await aiohttp_client(make_app(shared))
    for client in (a, b):
        await connected(client)
    return a, b


def fanout_of(client: Client) -> RedisFanOut:
    fanout = client.app[keys.FANOUT]
    assert isinstance(fanout, RedisFanOut)
    return fanout


async def connected(client: Client) -> None:
    async with asyncio.timeout(CONNECT_TIMEOUT_SECS):
        await fanout_of(client).wait_connected()


async def disconnected(client: Client) -> None:
    async with asyncio.timeout(CONNECT_TIMEOUT_SECS):
        await fanout_of(client).wait_disconnected()


async def grant(client: Client, customer_id: str, category: str) -> None:
    """A grant recorded in the ledger through `client`'s instance."""
    await client.app[keys.STORE].consents.append(
        customer_id=customer_id,
        purpose=PURPOSE,
        categories=[category],
        decision="granted",
        policy_version="test",
        at=datetime.now(UTC),
        decided_by=DeciderDoc(role="customer", id=customer_id),
        evidence=EvidenceDoc(message_ids=[]),
    )


async def marker(client: Client, peer: Peer, text: str) -> None:
    """Publish a frame through `client` and wait until `peer` (on the other instance) has
    it: everything `client` sent to Redis before has been applied there."""
    frame: JsonObject = {"type": "error", "code": "marker", "message": text}
    audience = Audience(identities=frozenset({_identity(peer)}), supervisors=False)
    await fanout_of(client).publish(audience, constant(frame))
    await peer.expect("error", code="marker", message=text)


def _describing(description: Description) -> Callable[[], Description]:
    return lambda: description


def _identity(peer: Peer) -> Identity:
    return Identity(Role(peer.role), peer.sub)


def not_connected_drops(client: Client) -> float:
    """Events and invalidations the instance did not send because Redis was away."""
    value = client.app[keys.METRICS].registry.get_sample_value(
        "chat_fanout_remote_dropped_total", {"reason": "not_connected"}
    )
    return value or 0.0


async def test_when_customer_and_agent_are_on_two_instances_then_they_hold_a_whole_conversation(
    instances: tuple[Client, Client],
) -> None:
    a, b = instances
    agent = await connect(b, "agent", "agent-1")
    customer = await connect(a, "customer", "cust-1")

    # Opened on A: B's agent sees it in the queue, and the first message.
    client_id = await customer.send_text("Hello from A")
    ack = await customer.expect("message.ack", client_id=client_id)
    conversation_id = ack["conversation_id"]
    opened = await agent.expect("conversation.opened")
    assert opened["conversation"]["id"] == conversation_id
    first = await agent.expect_message(seq=1)
    assert first["text"] == "Hello from A"

    # Joined on B: the customer on A learns it.
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    assigned = await customer.expect("conversation.assigned")
    assert assigned["agent_id"] == "agent-1"
    await agent.expect("conversation.assigned")

    # Messages both ways, and typing.
    await agent.send_text("Hello from B", conversation_id=conversation_id)
    reply = await customer.expect_message(text="Hello from B")
    assert reply["sender"] == {"role": "agent", "id": "agent-1"}
    await customer.send({"type": "typing", "conversation_id": conversation_id})
    typing = await agent.expect("typing")
    assert typing["sender"] == {"role": "customer", "id": "cust-1"}

    # Consent asked on A, granted on A: B's agent sees the value masked, then in clear.
    client_id = await customer.send_text(CARD_TEXT, conversation_id=conversation_id)
    ack = await customer.expect("message.ack", client_id=client_id)
    request = await customer.expect("consent.request", message_id=ack["message_id"])
    masked = await agent.expect_message(id=ack["message_id"])
    assert masked["text"] == MASKED_CARD_TEXT
    assert masked["consent"] == "pending"
    await answer(customer, request["request_id"], granted=True)
    recorded = await customer.expect("consent.recorded")
    assert recorded["granted"] is True
    updated = await agent.expect_message("message.updated", id=ack["message_id"])
    assert updated["text"] == CARD_TEXT
    assert updated["consent"] == "granted"

    # Closed on B: the customer on A is told.
    await agent.send({"type": "conversation.close", "conversation_id": conversation_id})
    closed = await customer.expect("conversation.closed")
    assert closed["conversation_id"] == conversation_id
    assert closed["closed_by"] == {"role": "agent", "id": "agent-1"}


async def test_when_consent_is_granted_on_one_instance_then_the_others_cache_knows_it(
    instances: tuple[Client, Client],
) -> None:
    a, b = instances
    ledger_b = b.app[keys.STORE].consents
    witness = await connect(b, "customer", "cust-2")
    assert await ledger_b.granted("cust-2", PURPOSE) == set()  # cached on B

    await grant(a, "cust-2", "financial")
    await marker(a, witness, "after the grant")

    assert await ledger_b.granted("cust-2", PURPOSE) == {"financial"}


async def test_when_no_viewer_of_an_event_is_on_an_instance_then_it_does_not_decode_it(
    instances: tuple[Client, Client],
) -> None:
    a, b = instances
    agent = await connect(b, "agent", "agent-1")  # B's only viewer
    decoded: list[Description] = []

    def counted(data: Description) -> Render:  # B's rendering of the test's events
        decoded.append(data)
        return constant({"type": "error", "code": "counted", "message": "seen"})

    fanout_of(b).resolve("test.counted", counted)
    for viewer in ("agent-2", "agent-1"):  # agent-2 has no socket on B (nor anywhere)
        audience = Audience(identities=frozenset({Identity(Role.AGENT, viewer)}), supervisors=False)
        portable = Portable("test.counted", _describing(viewer.encode()), constant({}))
        await fanout_of(a).publish(audience, portable)
    await marker(a, agent, "after both")

    assert decoded == [b"agent-1"]  # agent-2's event dropped on B after its head
    counted_frame = await agent.expect("error", code="counted")
    assert counted_frame["message"] == "seen"


async def test_when_redis_goes_away_then_a_lost_publish_is_caught_up_and_publishes_resume(
    instances: tuple[Client, Client], redis: RedisServer
) -> None:
    a, b = instances
    agent = await connect(b, "agent", "agent-1")
    customer = await connect(a, "customer", "cust-3")
    client_id = await customer.send_text("before")
    conversation_id = (await customer.expect("message.ack", client_id=client_id))["conversation_id"]
    await agent.expect_message(seq=1)
    ledger_b = b.app[keys.STORE].consents
    assert await ledger_b.granted("cust-3", PURPOSE) == set()  # cached on B
    dropped_before = not_connected_drops(a)

    await redis.kill()
    await disconnected(a)
    await disconnected(b)

    # Stored and acknowledged on A; its publish to B is lost.
    client_id = await customer.send_text("while Redis is down", conversation_id=conversation_id)
    ack = await customer.expect("message.ack", client_id=client_id)
    assert ack["seq"] == 2
    assert not_connected_drops(a) > dropped_before
    # The grant's invalidation is lost too: B reads around its cache meanwhile.
    await grant(a, "cust-3", "financial")
    assert await ledger_b.granted("cust-3", PURPOSE) == {"financial"}

    await redis.start()
    await connected(a)
    await connected(b)

    # The agent catches up from history after its last seq.
    await agent.send({"type": "history.fetch", "conversation_id": conversation_id, "after_seq": 1})
    history = await agent.expect("history")
    assert [(m["seq"], m["text"]) for m in history["messages"]] == [(2, "while Redis is down")]

    # And live delivery across instances resumes.
    client_id = await customer.send_text("after the restart", conversation_id=conversation_id)
    await customer.expect("message.ack", client_id=client_id)
    live = await agent.expect_message(text="after the restart")
    assert live["seq"] == 3


async def test_when_only_one_instance_loses_redis_then_the_others_caches_are_emptied_after(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings, redis: RedisServer
) -> None:
    link = CuttableLink(redis.port)
    await link.start()
    try:
        a = await aiohttp_client(make_app(settings.with_overrides(redis_url=Secret(link.url))))
        b = await aiohttp_client(make_app(settings.with_overrides(redis_url=Secret(redis.url))))
        for client in (a, b):
            await connected(client)
        witness = await connect(b, "customer", "cust-4")
        ledger_b = b.app[keys.STORE].consents
        assert await ledger_b.granted("cust-4", PURPOSE) == set()  # cached on B

        await link.cut()
        await disconnected(a)
        await grant(a, "cust-4", "financial")  # its invalidation cannot leave A
        await link.start()
        await connected(a)

        # A told B to empty its caches before anything else it sends now.
        await marker(a, witness, "after the link came back")
        assert await ledger_b.granted("cust-4", PURPOSE) == {"financial"}
        await a.close()  # its connections through the link end before the link does
    finally:
        await link.close()
