"""What the Redis side of several instances costs per message (issue 19's two-instance
rate): a customer's message takes its frame and message tokens in one script call, events
queued together are published in one round trip, in order, and a message crosses as its
stored BSON after a JSON head (not base64 inside JSON), its sealed values still sealed.

A real `redis-server` whose own counters (`INFO commandstats`, `INFO stats`) are read;
real aiohttp apps on the module's embedded store, real WebSocket clients.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import bson
import pytest
from pytest_aiohttp import AiohttpClient
from redis.asyncio import Redis

from chat_service import keys
from chat_service.auth import Identity, Role
from chat_service.fanout import Audience, Registry, constant
from chat_service.fanout_redis import DEFAULT_CHANNEL, RedisFanOut
from chat_service.metrics import Metrics
from chat_service.settings import Secret, Settings
from tests.conftest import AppFactory
from tests.fanout.test_redis_instances import CONNECT_TIMEOUT_SECS, connected, fanout_of
from tests.helpers.consent import CARD, CARD_TEXT
from tests.helpers.redis import RedisServer, running_redis
from tests.helpers.ws import connect

MESSAGES = 5
EVENTS = 50


@pytest.fixture
async def redis() -> AsyncIterator[RedisServer]:
    async for server in running_redis():
        yield server


@pytest.fixture
async def admin(redis: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis.url)
    try:
        yield client
    finally:
        await client.aclose()


async def script_calls(admin: Redis) -> int:
    """Scripts Redis has run so far (EVALSHA, and EVAL when a script was not cached)."""
    stats = await admin.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{cmd}", {}).get("calls", 0)) for cmd in ("evalsha", "eval"))


async def test_when_a_customer_sends_messages_then_each_costs_one_script_call_for_both_buckets(
    aiohttp_client: AiohttpClient,
    make_app: AppFactory,
    settings: Settings,
    redis: RedisServer,
    admin: Redis,
) -> None:
    # Redis is given time to answer: a starved machine must not turn a call into the local
    # fallback, which this test does not count (test_global_limits.py tests that one).
    limits = settings.config.limits.model_copy(update={"shared_limits_timeout_secs": 5.0})
    config = settings.config.model_copy(update={"limits": limits})
    app = make_app(settings.with_overrides(redis_url=Secret(redis.url), config=config))
    client = await aiohttp_client(app)
    await connected(client)
    customer = await connect(client, "customer", "cust-one-call")
    first = await customer.send_text("hello")
    conversation_id = (await customer.expect("message.ack", client_id=first))["conversation_id"]

    before = await script_calls(admin)
    for i in range(MESSAGES):
        sent = await customer.send_text(f"message {i}", conversation_id=conversation_id)
        await customer.expect("message.ack", client_id=sent)

    assert await script_calls(admin) - before == MESSAGES  # two buckets, one call each
    for limit in ("frames", "messages"):  # both buckets were spent from
        assert await admin.hgetall(f"chat-service:limits:{limit}:customer:cust-one-call")


async def test_when_events_are_queued_together_then_they_reach_redis_in_one_round_trip_in_order(
    redis: RedisServer, admin: Redis
) -> None:
    fanout = RedisFanOut(redis.url, Registry(), Metrics())
    listener = admin.pubsub()
    await listener.subscribe(DEFAULT_CHANNEL)
    stop = asyncio.Event()
    running = asyncio.create_task(fanout.run(stop))
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECS):
            await fanout.wait_connected()
        reads_before = int((await admin.info("stats"))["total_reads_processed"])
        audience = Audience(identities=frozenset({Identity(Role.CUSTOMER, "nobody-here")}))
        for i in range(EVENTS):  # one loop pass: all queued before the publisher runs
            await fanout.publish(audience, constant({"type": "test.event", "n": i}))

        received: list[int] = []
        async with asyncio.timeout(CONNECT_TIMEOUT_SECS):
            while len(received) < EVENTS:
                message = await listener.get_message(ignore_subscribe_messages=True, timeout=1)
                if message is not None:
                    body = json.loads(message["data"])
                    assert body["from"] == fanout.instance_id
                    received.append(body["data"]["frame"]["n"])
        reads = int((await admin.info("stats"))["total_reads_processed"]) - reads_before
    finally:
        stop.set()
        await running
        await listener.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py

    assert received == list(range(EVENTS))
    # One PUBLISH per round trip would be 50 reads by Redis; a pipeline is one (the rest:
    # these INFO calls, and a ping of an idle connection at most).
    assert reads < EVENTS // 5, reads


async def test_when_a_message_crosses_then_it_is_its_stored_bson_after_a_json_head(
    aiohttp_client: AiohttpClient,
    make_app: AppFactory,
    settings: Settings,
    redis: RedisServer,
    admin: Redis,
) -> None:
    app = make_app(settings.with_overrides(redis_url=Secret(redis.url)))
    client = await aiohttp_client(app)
    await connected(client)
    listener = admin.pubsub()
    await listener.subscribe(DEFAULT_CHANNEL)
    try:
        customer = await connect(client, "customer", "cust-bson")
        sent = await customer.send_text(CARD_TEXT)
        ack = await customer.expect("message.ack", client_id=sent)
        raw = b""
        async with asyncio.timeout(CONNECT_TIMEOUT_SECS):
            while b'"kind":"message"' not in raw:
                message = await listener.get_message(ignore_subscribe_messages=True, timeout=1)
                raw = message["data"] if message is not None else b""
    finally:
        await listener.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py

    head, mark, payload = raw.partition(b"\n")
    assert mark
    body = json.loads(head)
    assert body["from"] == fanout_of(client).instance_id
    assert "data" not in body  # the message is the bytes after the head, not base64 in JSON
    crossed = bson.decode(payload)
    stored = await client.app[keys.STORE].messages.get(ack["message_id"])
    assert stored is not None
    assert crossed["updated"] is False
    assert crossed["message"] == bson.decode(bson.encode(stored))  # as stored, nothing more
    assert crossed["conversation"]["id"] == ack["conversation_id"]
    assert CARD.encode() not in raw and CARD.replace(" ", "").encode() not in raw  # sealed
