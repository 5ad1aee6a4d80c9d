"""A customer's limits across instances (chat_service/net/global_limits.py): with
`REDIS_URL`, sockets on A and B share one socket cap and one message bucket, and HTTP
writes through A and B one write bucket; with Redis killed, each instance applies them on
its own and the chat goes on.

A real `redis-server`, two real aiohttp apps on the module's embedded store, real
WebSocket clients.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient
from redis.asyncio import Redis

from chat_service import keys
from chat_service.metrics import Metrics
from chat_service.net.global_limits import (
    INSTANCE_TTL_SECS,
    KEY_PREFIX,
    RETRY_SECS,
    Bucket,
    GlobalLimits,
)
from chat_service.settings import Secret, Settings
from tests.conftest import AppFactory
from tests.fanout.test_redis_instances import connected, disconnected
from tests.helpers.redis import RedisServer, running_redis
from tests.helpers.settings import settings_with
from tests.helpers.ws import Client, Peer, connect, token_for

CAP = 2
BURST = 3
NEVER_REFILLS = 0.001  # tokens a second: none come back during a test
CAP_REASON = f"too many open sockets for this customer (max {CAP})"


@pytest.fixture
async def redis() -> AsyncIterator[RedisServer]:
    async for server in running_redis():
        yield server


@pytest.fixture
async def instances(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings, redis: RedisServer
) -> tuple[Client, Client]:
    tight = settings_with(
        settings.with_overrides(redis_url=Secret(redis.url)),
        connections={"max_sockets_per_customer": CAP},
        limits={
            "messages_per_sec": NEVER_REFILLS,
            "message_burst": BURST,
            "rate_limited_pause_secs": 0.0,
        },
        rates={"customer_writes_per_sec": NEVER_REFILLS, "customer_write_burst": BURST},
    )
    a = await aiohttp_client(make_app(tight))
    b = await aiohttp_client(make_app(tight))
    for client in (a, b):
        await connected(client)
    return a, b


async def refused_socket(client: Client, sub: str) -> None:
    """A socket of `sub` opened on `client`'s instance is closed 1008 for the cap."""
    ws = await client.ws_connect(f"/ws?token={token_for(client, 'customer', sub)}")
    msg = await ws.receive(timeout=30)
    assert msg.type is aiohttp.WSMsgType.CLOSE, msg
    assert ws.close_code == 1008
    assert msg.extra == CAP_REASON


async def acked(peer: Peer, text: str) -> None:
    sent = await peer.send_text(text)
    await peer.expect("message.ack", client_id=sent)


async def rate_limited(peer: Peer, text: str) -> None:
    sent = await peer.send_text(text)
    error = await peer.expect("error", ref=sent)
    assert error["code"] == "rate_limited"


async def write(client: Client, sub: str) -> int:
    """A customer's HTTP write through `client`'s instance (withdrawing a consent it never
    gave: a real write that changes nothing); its status."""
    response = await client.post(
        f"/api/privacy/customers/{sub}/consents/withdrawal",
        json={"categories": ["financial"]},
        headers={"Authorization": "Bearer " + token_for(client, "customer", sub)},
    )
    if response.status == 429:
        assert response.headers["Retry-After"] == "1"
        assert (await response.json())["error"]["code"] == "rate_limited"
    else:
        assert response.status == 200, await response.text()
    return response.status


def customer_sockets(client: Client) -> float:
    value: float = client.app[keys.METRICS].connections.labels("customer")._value.get()
    return value


async def test_when_a_customer_opens_sockets_on_two_instances_then_they_share_one_cap(
    instances: tuple[Client, Client],
) -> None:
    a, b = instances
    on_a = await connect(a, "customer", "cust-spread")
    await connect(b, "customer", "cust-spread")
    await refused_socket(b, "cust-spread")  # the third, on either instance
    await refused_socket(a, "cust-spread")
    for client in (a, b):
        metrics = client.app[keys.METRICS]
        assert metrics.policy_closes.labels("customer_socket_cap")._value.get() == 1

    # One closes on A: the customer may open one again, on B.
    await on_a.close()
    async with asyncio.timeout(30):
        while customer_sockets(a) > 0:  # noqa: ASYNC110  # the server's own state
            await asyncio.sleep(0.02)
    shared = a.app[keys.RATES].shared
    assert shared is not None
    await shared.settled()  # out of the shared count too
    await connect(b, "customer", "cust-spread")
    await refused_socket(a, "cust-spread")
    await connect(a, "customer", "cust-other")  # another customer is not affected


async def test_when_a_customer_sends_on_two_instances_then_they_share_one_message_bucket(
    instances: tuple[Client, Client],
) -> None:
    a, b = instances
    on_a = await connect(a, "customer", "cust-chatty")
    on_b = await connect(b, "customer", "cust-chatty")
    await acked(on_a, "where is my parcel")
    await acked(on_a, "it was due on Monday")
    await acked(on_b, "hello from my phone")  # the shared burst is spent
    await rate_limited(on_b, "anyone there?")
    await rate_limited(on_a, "hello?")  # A's own table still had a token: Redis said no
    await on_a.send({"type": "ping"})
    await on_a.expect("pong")  # other frames still pass
    other = await connect(b, "customer", "cust-quiet")
    await acked(other, "hi")


async def test_when_a_customer_writes_through_two_instances_then_they_share_one_write_bucket(
    instances: tuple[Client, Client],
) -> None:
    a, b = instances
    assert [await write(a, "cust-writer") for _ in range(BURST - 1)] == [200] * (BURST - 1)
    assert await write(b, "cust-writer") == 200  # the shared burst is spent
    assert await write(b, "cust-writer") == 429
    assert await write(a, "cust-writer") == 429  # A's own table still had a token: Redis said no
    assert await write(b, "cust-other-writer") == 200  # another customer is not affected
    for client in (a, b):
        metrics = client.app[keys.METRICS]
        assert metrics.rate_limited.labels("customer_writes")._value.get() == 1
        assert metrics.global_limits_fallback.labels("customer_writes")._value.get() == 0


async def test_when_redis_is_killed_then_limits_apply_per_instance_and_the_chat_goes_on(
    instances: tuple[Client, Client], redis: RedisServer
) -> None:
    a, b = instances
    await redis.kill()
    for client in (a, b):
        await disconnected(client)

    # Sockets: each instance counts its own (CAP on each), and refuses past it.
    on_a = [await connect(a, "customer", "cust-alone") for _ in range(CAP)]
    await refused_socket(a, "cust-alone")
    on_b = [await connect(b, "customer", "cust-alone") for _ in range(CAP)]
    await refused_socket(b, "cust-alone")

    # Messages: each instance's own bucket; chat goes on until it is spent.
    for n in range(BURST):
        await acked(on_a[n % CAP], f"still here {n}")
    await rate_limited(on_a[0], "one too many")
    await acked(on_b[0], "from the other instance")

    # HTTP writes: each instance's own bucket.
    assert [await write(a, "cust-alone") for _ in range(BURST)] == [200] * BURST
    assert await write(a, "cust-alone") == 429
    assert await write(b, "cust-alone") == 200
    fallbacks = a.app[keys.METRICS].global_limits_fallback
    assert fallbacks.labels("sockets")._value.get() > 0
    assert fallbacks.labels("messages")._value.get() > 0
    assert fallbacks.labels("customer_writes")._value.get() > 0
    health = await a.get("/healthz")
    assert health.status == 200
    assert (await health.json())["redis"] == "down"


async def test_when_an_instance_dies_then_its_sockets_stop_counting_once_its_key_expires(
    redis: RedisServer,
) -> None:
    """Killed -9, an instance stops renewing its key; once the key's life is over (here:
    deleted, as its expiry would) another instance's next open no longer counts them."""
    dead = GlobalLimits(redis.url, "i_dead", Metrics(), sockets_ttl_secs=3600)
    alive = GlobalLimits(redis.url, "i_alive", Metrics(), sockets_ttl_secs=3600)
    key = "customer:cust-orphaned"
    assert await dead.open_socket(key, "ws_1", CAP)
    assert await dead.open_socket(key, "ws_2", CAP)
    assert not await alive.open_socket(key, "ws_3", CAP)  # both still count
    client = Redis.from_url(redis.url)
    try:
        ttl_ms = await client.pttl(f"{KEY_PREFIX}instance:i_dead")
        assert 0 < ttl_ms <= INSTANCE_TTL_SECS * 1000  # the documented bound
        await client.delete(f"{KEY_PREFIX}instance:i_dead")
        assert await alive.open_socket(key, "ws_3", CAP)
        assert await alive.open_socket(key, "ws_4", CAP)
        assert not await alive.open_socket(key, "ws_5", CAP)
        assert sorted(await client.hkeys(f"{KEY_PREFIX}sockets:{key}")) == [b"ws_3", b"ws_4"]
    finally:
        await client.aclose()
        for limits in (dead, alive):
            stop = asyncio.Event()
            stop.set()
            await limits.run(stop)  # closes its client


async def test_when_redis_restarts_empty_then_the_heartbeat_counts_the_open_sockets_again(
    redis: RedisServer,
) -> None:
    a = GlobalLimits(redis.url, "i_a", Metrics(), sockets_ttl_secs=3600)
    b = GlobalLimits(redis.url, "i_b", Metrics(), sockets_ttl_secs=3600)
    key = "customer:cust-kept"
    try:
        assert await a.open_socket(key, "ws_1", CAP)
        assert await a.open_socket(key, "ws_2", CAP)
        await redis.kill()
        await redis.start()  # the same port, nothing in it
        await a.beat()  # its key was gone: its sockets are written again
        assert not await b.open_socket(key, "ws_3", CAP)
        a.close_socket("ws_1")
        await a.settled()
        assert await b.open_socket(key, "ws_3", CAP)
    finally:
        for limits in (a, b):
            stop = asyncio.Event()
            stop.set()
            await limits.run(stop)


async def connections_received(client: Redis) -> int:
    return int((await client.info("stats"))["total_connections_received"])


async def test_when_redis_answers_late_then_calls_fall_back_and_keep_their_connections(
    redis: RedisServer,
) -> None:
    """Redis paused past the calls' bound: each decision is the local one at the bound, but
    the call runs on until Redis answers (its token taken there) and its connection goes
    back to the pool: the next calls open none. Calls under way stay within the bound."""
    calls = 4
    burst = 100
    metrics = Metrics()
    limits = GlobalLimits(
        redis.url, "i_slow", metrics, sockets_ttl_secs=3600, max_calls_in_flight=calls
    )
    admin = Redis.from_url(redis.url)
    key = "customer:cust-slow"
    bucket: list[tuple[Bucket, float, int]] = [("messages", NEVER_REFILLS, burst)]

    async def round_of(n: int) -> list[int]:
        return await asyncio.gather(*(limits.take_all(key, bucket) for _ in range(n)))

    try:
        assert await round_of(calls) == [1] * calls  # the script loaded, connections open
        await admin.client_pause(1000, all=False)  # WRITE: scripts wait, INFO does not
        assert await round_of(calls + 3) == [1] * (calls + 3)  # all decided locally
        fallbacks = metrics.global_limits_fallback.labels("messages")._value.get()
        assert fallbacks == calls + 3
        assert limits.calls_in_flight == calls  # the 3 beyond the bound never went
        await limits.answered()  # once the pause is over
        tokens = float(await admin.hget(f"{KEY_PREFIX}messages:{key}", "tokens") or -1)
        assert abs(tokens - (burst - 2 * calls)) < 0.5  # the late answers counted in Redis
        assert limits.calls_in_flight == 0
        received = await connections_received(admin)
        await asyncio.sleep(RETRY_SECS)  # the local-only spell after a failure is over
        assert await round_of(calls) == [1] * calls
        assert metrics.global_limits_fallback.labels("messages")._value.get() == fallbacks
        assert await connections_received(admin) == received  # the pool's, kept
    finally:
        await admin.aclose()
        stop = asyncio.Event()
        stop.set()
        await limits.run(stop)
