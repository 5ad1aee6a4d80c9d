"""`/healthz` with `REDIS_URL`: it says how events cross instances and whether Redis is
reachable, and Redis down is reported without making the instance unhealthy (it still
serves its own sockets; clients close gaps from the store)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pytest_aiohttp import AiohttpClient

from chat_service.settings import Secret, Settings
from tests.conftest import AppFactory
from tests.fanout.test_redis_instances import connected, disconnected
from tests.helpers.redis import RedisServer, running_redis


@pytest.fixture
async def redis() -> AsyncIterator[RedisServer]:
    async for server in running_redis():
        yield server


async def test_when_redis_is_killed_then_healthz_says_redis_down_and_stays_200(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings, redis: RedisServer
) -> None:
    client = await aiohttp_client(make_app(settings.with_overrides(redis_url=Secret(redis.url))))
    await connected(client)
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {
        "status": "ok",
        "store": "embedded",
        "fanout": "redis",
        "redis": "up",
    }

    await redis.kill()
    await disconnected(client)
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {
        "status": "ok",
        "store": "embedded",
        "fanout": "redis",
        "redis": "down",
    }
