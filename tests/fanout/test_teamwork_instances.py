"""Teamwork across two instances on one store and one Redis (docs/teamwork.md): a
supervisor on B transfers a conversation held on A; the receiving agent on B gets it live,
the customer on A the neutral notice, and the customer's next message reaches the new
holder; a note written on B reaches staff only, never the customer on A."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.auth import Identity, Role
from chat_service.fanout import Audience, constant
from chat_service.fanout_redis import RedisFanOut
from chat_service.json_types import JsonObject
from chat_service.settings import Secret, Settings
from tests.conftest import AppFactory
from tests.helpers.redis import RedisServer, running_redis
from tests.helpers.ws import Client, connect, customer_opens, token_for

CONNECT_TIMEOUT_SECS = 15.0


@pytest.fixture
async def redis() -> AsyncIterator[RedisServer]:
    async for server in running_redis():
        yield server


async def subscribed(client: Client) -> None:
    fanout = client.app[keys.FANOUT]
    assert isinstance(fanout, RedisFanOut)
    async with asyncio.timeout(CONNECT_TIMEOUT_SECS):
        await fanout.wait_connected()


async def test_when_a_supervisor_on_another_instance_transfers_and_notes_then_events_cross_to_staff_only(  # noqa: E501
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings, redis: RedisServer
) -> None:
    shared = settings.with_overrides(redis_url=Secret(redis.url))
    a = await aiohttp_client(make_app(shared))
    b = await aiohttp_client(make_app(shared))
    for client in (a, b):
        await subscribed(client)
    holder = await connect(a, "agent", "agent-1")
    customer = await connect(a, "customer", "cust-1")
    receiver = await connect(b, "agent", "agent-2")
    conversation_id = await customer_opens(a, customer, holder, "Where is my parcel?")
    await holder.send({"type": "conversation.join", "conversation_id": conversation_id})
    await receiver.expect("conversation.assigned", conversation_id=conversation_id)

    sup = {"Authorization": "Bearer " + token_for(b, "supervisor", "sup-1")}
    path = f"/api/conversations/{conversation_id}/transfer"
    response = await b.post(path, json={"to_agent_id": "agent-2"}, headers=sup)
    assert response.status == 200, await response.text()
    await receiver.expect("conversation.transferred", to_agent_id="agent-2")
    await holder.expect("conversation.transferred", to_agent_id="agent-2")
    await customer.expect("conversation.notice", notice="transferred")

    # A's cached copy was invalidated: the customer's next message reaches the new holder.
    await customer.send_text("Any news?", conversation_id=conversation_id)
    await receiver.expect_message(text="Any news?")

    note_text = "customer is anxious, call back before noon"
    response = await b.post(
        f"/api/conversations/{conversation_id}/notes", json={"text": note_text}, headers=sup
    )
    assert response.status == 201, await response.text()
    await receiver.expect("note.new")
    # Everything B published before this marker has reached A's sockets.
    marker: JsonObject = {"type": "error", "code": "marker", "message": "after the note"}
    audience = Audience(identities=frozenset({Identity(Role.CUSTOMER, "cust-1")}))
    await b.app[keys.FANOUT].publish(audience, constant(marker))
    await customer.expect("error", code="marker")
    assert all(note_text not in json.dumps(f) for f in customer.buffer)
    assert all(f.get("type") != "note.new" for f in customer.buffer)
