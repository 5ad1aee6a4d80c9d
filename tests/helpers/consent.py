"""Helpers for the consent tests: sample sensitive values, an assigned chat, the raw store."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from chat_service import keys
from chat_service.auth import Role
from chat_service.services import Services
from tests.helpers.ws import Client, Peer, connect, customer_opens, token_for

CARD = "4111 1111 1111 1111"
CARD_DIGITS = "4111111111111111"
OTHER_CARD = "5555 5555 5555 4444"
RESIDENT_ID = "110101199003078515"  # valid check digit
CARD_TEXT = f"My card is {CARD}, please refund it."
MASKED_CARD_TEXT = "My card is [CREDIT_CARD], please refund it."
ID_TEXT = f"My ID number is {RESIDENT_ID}."
HEALTH_TEXT = "I am allergic to penicillin"
LAT, LNG = 31.2304, 121.4737
GUARDIAN = {"name": "Li Na", "relationship": "mother"}


def headers(client: Client, role: str, sub: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + token_for(client, role, sub)}


def raw_db(client: Client) -> AsyncDatabase[dict[str, Any]]:
    return client.app[keys.STORE].db


def services_of(client: Client) -> Services:
    return client.app[keys.SERVICES]


def move_clock(client: Client, start: datetime, by: timedelta) -> None:
    """From now on the service's clock reads `start + by`."""
    later = start + by
    services_of(client).clock = lambda: later


async def connect_minor(client: Client, sub: str, age: int = 12) -> Peer:
    """A customer whose token says they are `age` years old."""
    token = client.app[keys.TOKENS].issue(Role.CUSTOMER, sub, None, extra={"age": age})
    ws = await client.ws_connect(f"/ws?token={token}")
    peer = Peer(ws, "customer", sub)
    await peer.expect("hello")
    return peer


@dataclass(frozen=True, slots=True)
class Chat:
    agent: Peer
    customer: Peer
    conversation_id: str


async def assigned_chat(
    client: Client,
    *,
    customer: Peer | None = None,
    customer_sub: str = "cust-1",
    agent_sub: str = "agent-1",
) -> Chat:
    """The customer says hello (seq 1) and the agent joins: later messages go to that agent."""
    agent = await connect(client, "agent", agent_sub)
    if customer is None:
        customer = await connect(client, "customer", customer_sub)
    conversation_id = await customer_opens(client, customer, agent, "Hello")
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await customer.expect("conversation.assigned")
    await agent.expect("conversation.assigned")
    await agent.expect_message(seq=1)
    await customer.expect_message(seq=1)
    return Chat(agent, customer, conversation_id)


async def send_sensitive(
    customer: Peer, text: str, conversation_id: str | None = None
) -> tuple[str, dict[str, Any]]:
    """Send a text that needs consent: its message id and the consent.request that follows."""
    client_id = await customer.send_text(text, conversation_id=conversation_id)
    ack = await customer.expect("message.ack", client_id=client_id)
    request = await customer.expect("consent.request", message_id=ack["message_id"])
    return str(ack["message_id"]), request


async def send_location(customer: Peer, lat: float = LAT, lng: float = LNG) -> str:
    """Send a location message; its message id (the consent.request stays buffered)."""
    client_id = uuid.uuid4().hex
    await customer.send(
        {
            "type": "message.send",
            "client_id": client_id,
            "kind": "location",
            "location": {"lat": lat, "lng": lng},
        }
    )
    ack = await customer.expect("message.ack", client_id=client_id)
    return str(ack["message_id"])


async def answer(
    customer: Peer,
    request_id: str,
    *,
    granted: bool,
    guardian: dict[str, str] | None = None,
) -> None:
    frame: dict[str, Any] = {
        "type": "consent.respond",
        "request_id": request_id,
        "granted": granted,
    }
    if guardian is not None:
        frame["guardian"] = guardian
    await customer.send(frame)


async def ledger(client: Client, customer_id: str) -> dict[str, Any]:
    response = await client.get(
        f"/api/privacy/customers/{customer_id}/consents",
        headers=headers(client, "customer", customer_id),
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def raw_message(client: Client, message_id: str) -> dict[str, Any]:
    doc = await raw_db(client)["messages"].find_one({"_id": message_id})
    assert doc is not None
    return doc


async def raw_request(client: Client, request_id: str) -> dict[str, Any]:
    doc = await raw_db(client)["consent_requests"].find_one({"_id": request_id})
    assert doc is not None
    return doc


async def audit_entries(client: Client, **query: Any) -> list[dict[str, Any]]:
    cursor = raw_db(client)["audit"].find(query).sort("at", 1)
    return [doc async for doc in cursor]


async def history(
    client: Client, conversation_id: str, role: str, sub: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/conversations/{conversation_id}/messages", headers=headers(client, role, sub)
    )
    assert response.status == 200, await response.text()
    messages: list[dict[str, Any]] = (await response.json())["messages"]
    return messages
