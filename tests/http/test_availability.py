"""Availability (issue 20 item 4): an agent sets themself online or away through the API;
it is stored, shown to supervisors live and on request, and the queue respects it: an away
agent is offered no new conversation (no `conversation.opened`) and may not join one
(`agent_away`), on every instance (the offer's render reads the store)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import jsonschema_rs
import pytest
from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.fanout_redis import RedisFanOut
from chat_service.settings import Secret, Settings
from tests.conftest import AppFactory
from tests.helpers.consent import headers
from tests.helpers.redis import RedisServer, running_redis
from tests.helpers.ws import Client, Peer, connect

CONNECT_TIMEOUT_SECS = 15.0


async def set_state(client: Client, agent: str, state: str) -> dict[str, Any]:
    response = await client.put(
        "/api/availability", json={"state": state}, headers=headers(client, "agent", agent)
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def opens(customer: Peer, text: str) -> str:
    client_id = await customer.send_text(text)
    ack = await customer.expect("message.ack", client_id=client_id)
    return str(ack["conversation_id"])


async def test_when_an_agent_is_away_then_no_new_conversation_is_offered_and_joining_is_refused(
    client: Client,
) -> None:
    away = await connect(client, "agent", "agent-away")
    online = await connect(client, "agent", "agent-on")
    supervisor = await connect(client, "supervisor", "sup-1")

    body = await set_state(client, "agent-away", "away")
    assert body["agent_id"] == "agent-away" and body["state"] == "away"
    seen = await supervisor.expect("agent.availability", agent_id="agent-away")
    assert seen["state"] == "away"
    await away.expect("agent.availability", state="away")  # the agent's other tabs too

    customer = await connect(client, "customer", "cust-1")
    conversation_id = await opens(customer, "Hello")
    await online.expect("conversation.opened")
    await supervisor.expect("conversation.opened")
    await away.send({"type": "conversation.join", "conversation_id": conversation_id})
    refused = await away.expect("error")
    assert refused["code"] == "agent_away"

    # Back online: the state frame comes after anything published before it, and no offer
    # of the conversation opened while away is among those.
    await set_state(client, "agent-away", "online")
    await away.expect("agent.availability", state="online")
    assert [f for f in away.buffer if f["type"] == "conversation.opened"] == []
    await away.send({"type": "conversation.join", "conversation_id": conversation_id})
    assigned = await away.expect("conversation.assigned", conversation_id=conversation_id)
    assert assigned["agent_id"] == "agent-away"

    other = await connect(client, "customer", "cust-2")
    second = await opens(other, "Hi")
    offered = await away.expect("conversation.opened")
    assert offered["conversation"]["id"] == second
    for peer in (away, online, supervisor, customer, other):
        await peer.close()


async def test_when_staff_ask_then_a_supervisor_sees_every_agent_and_an_agent_only_themself(
    client: Client,
) -> None:
    mine = await client.get("/api/availability", headers=headers(client, "agent", "agent-1"))
    assert (await mine.json()) == {"agents": []}  # never set: online
    await set_state(client, "agent-1", "away")
    await set_state(client, "agent-2", "online")
    listed = await client.get("/api/availability", headers=headers(client, "supervisor", "s-1"))
    agents = (await listed.json())["agents"]
    assert [(a["agent_id"], a["state"]) for a in agents] == [
        ("agent-1", "away"),
        ("agent-2", "online"),
    ]
    mine = await client.get("/api/availability", headers=headers(client, "agent", "agent-2"))
    assert [a["agent_id"] for a in (await mine.json())["agents"]] == ["agent-2"]


@pytest.mark.parametrize(
    ("role", "body", "status"),
    [
        ("customer", {"state": "away"}, 403),
        ("supervisor", {"state": "away"}, 403),
        ("privacy_officer", {"state": "away"}, 403),
        ("agent", {"state": "busy"}, 400),
        ("agent", {"state": "away", "extra": 1}, 400),
        ("agent", {}, 400),
    ],
)
async def test_when_the_caller_or_the_state_is_wrong_then_a_clear_4xx(
    client: Client, role: str, body: dict[str, Any], status: int
) -> None:
    response = await client.put("/api/availability", json=body, headers=headers(client, role, "x"))
    assert response.status == status
    assert (await client.get("/api/availability")).status == 401
    customer = await client.get("/api/availability", headers=headers(client, "customer", "c"))
    assert customer.status == 403


@pytest.fixture
async def redis() -> AsyncIterator[RedisServer]:
    async for server in running_redis():
        yield server


async def test_when_an_agent_on_another_instance_is_away_then_the_offer_skips_them_there(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings, redis: RedisServer
) -> None:
    shared = settings.with_overrides(redis_url=Secret(redis.url))
    a = await aiohttp_client(make_app(shared))
    b = await aiohttp_client(make_app(shared))
    for instance in (a, b):
        fanout = instance.app[keys.FANOUT]
        assert isinstance(fanout, RedisFanOut)
        async with asyncio.timeout(CONNECT_TIMEOUT_SECS):
            await fanout.wait_connected()
    away = await connect(b, "agent", "agent-away")
    online = await connect(b, "agent", "agent-on")
    supervisor = await connect(b, "supervisor", "sup-1")

    await set_state(a, "agent-away", "away")  # set through A, seen on B
    await supervisor.expect("agent.availability", agent_id="agent-away", state="away")
    await away.expect("agent.availability", state="away")

    customer = await connect(a, "customer", "cust-1")
    await opens(customer, "Hello from A")
    await online.expect("conversation.opened")
    await set_state(a, "agent-away", "online")  # published after the offer, through A too
    await away.expect("agent.availability", state="online")
    assert [f for f in away.buffer if f["type"] == "conversation.opened"] == []
    for peer in (away, online, supervisor, customer):
        await peer.close()


async def test_when_the_speed_endpoints_answer_then_the_bodies_match_the_openapi_description(
    client: Client,
) -> None:
    described = await client.get("/api/openapi.json")
    document = await described.json()
    for method, path, caller, body, status in [
        ("get", "/api/replies", ("agent", "agent-1"), None, 200),
        ("put", "/api/availability", ("agent", "agent-1"), {"state": "away"}, 200),
        ("get", "/api/availability", ("agent", "agent-1"), None, 200),
        ("get", "/api/availability", ("supervisor", "sup-1"), None, 200),
    ]:
        response = await client.request(
            method.upper(), path, json=body, headers=headers(client, *caller)
        )
        assert response.status == status
        answer = document["paths"][path][method]["responses"][str(status)]
        schema = answer["content"]["application/json"]["schema"]
        validator = jsonschema_rs.Draft202012Validator({**document, **schema})
        errors = [str(e) for e in validator.iter_errors(await response.json())]
        assert errors == [], (method, path, errors[:3])
