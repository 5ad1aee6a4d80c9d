"""Teamwork over real sockets and HTTP: transfer (compare-and-swap), internal notes that a
customer never sees, tags and priority, the supervisors' view (docs/teamwork.md)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from chat_service import keys
from tests.helpers.consent import CARD, CARD_DIGITS
from tests.helpers.ws import Client, Peer, connect, customer_opens, token_for


def auth(client: Client, role: str, sub: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + token_for(client, role, sub)}


async def post(client: Client, path: str, role: str, sub: str, body: Any) -> tuple[int, Any]:
    response = await client.post(path, json=body, headers=auth(client, role, sub))
    return response.status, await response.json()


async def held_by_agent_1(client: Client) -> tuple[Peer, Peer, str]:
    """agent-1 has joined cust-1's new conversation: (agent, customer, conversation id)."""
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "Hi, my parcel is late")
    await agent.expect_message(seq=1)
    await agent.send({"type": "conversation.join", "conversation_id": conversation_id})
    await customer.expect("conversation.assigned")
    return agent, customer, conversation_id


async def test_when_agent_transfers_to_another_agent_then_the_receiver_gets_it_live_and_the_customer_a_neutral_notice(  # noqa: E501
    client: Client,
) -> None:
    agent, customer, conversation_id = await held_by_agent_1(client)
    receiver = await connect(client, "agent", "agent-2")

    status, body = await post(
        client,
        f"/api/conversations/{conversation_id}/transfer",
        "agent",
        "agent-1",
        {"to_agent_id": "agent-2"},
    )
    assert status == 200, body
    assert body["conversation"]["agent_id"] == "agent-2"
    moved = await receiver.expect("conversation.transferred")
    assert moved["conversation"]["id"] == conversation_id
    assert (moved["from_agent_id"], moved["to_agent_id"]) == ("agent-1", "agent-2")
    assert moved["by"] == {"role": "agent", "id": "agent-1"}
    notice = await customer.expect("conversation.notice")
    assert notice == {
        "type": "conversation.notice",
        "conversation_id": conversation_id,
        "notice": "transferred",
    }  # neutral: no staff names
    await customer.expect_nothing("conversation.transferred")

    # The conversation's messages now go to the receiver, and only the receiver writes.
    await customer.send_text("Still waiting", conversation_id=conversation_id)
    await receiver.expect_message(text="Still waiting")
    await agent.expect_nothing("message.new")
    reply = await receiver.send_text("I am on it", conversation_id=conversation_id)
    await receiver.expect("message.ack", client_id=reply)
    late = await agent.send_text("me too", conversation_id=conversation_id)
    assert (await agent.expect("error", ref=late))["code"] == "conversation_not_found"


async def test_when_agent_transfers_back_to_the_queue_then_every_agent_sees_it_queued(
    client: Client,
) -> None:
    agent, _customer, conversation_id = await held_by_agent_1(client)
    other = await connect(client, "agent", "agent-2")

    status, body = await post(
        client,
        f"/api/conversations/{conversation_id}/transfer",
        "agent",
        "agent-1",
        {"to_agent_id": None},
    )
    assert status == 200, body
    moved = await other.expect("conversation.transferred", to_agent_id=None)
    assert moved["conversation"]["agent_id"] is None
    await other.send({"type": "conversation.join", "conversation_id": conversation_id})
    await agent.expect("conversation.assigned", conversation_id=conversation_id, agent_id="agent-2")


async def test_when_two_moves_start_from_the_same_holder_then_exactly_one_wins(
    client: Client,
) -> None:
    _agent, _customer, conversation_id = await held_by_agent_1(client)
    conversations = client.app[keys.STORE].conversations

    results = await asyncio.gather(
        conversations.transfer(conversation_id, "agent-1", "agent-2"),
        conversations.transfer(conversation_id, "agent-1", "agent-3"),
    )
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    stored = await conversations.get(conversation_id)
    assert stored is not None and stored.agent_id == winners[0].agent_id
    # A move from a holder that is no longer the holder loses too.
    assert await conversations.transfer(conversation_id, "agent-1", "agent-4") is None


async def test_when_the_holder_changed_since_it_was_read_then_transfer_answers_409(
    client: Client,
) -> None:
    _agent, _customer, conversation_id = await held_by_agent_1(client)
    conversations = client.app[keys.STORE].conversations
    # Another instance reassigned it: this instance's cache still says agent-1.
    await (
        client.app[keys.STORE]
        .db["conversations"]
        .update_one({"_id": conversation_id}, {"$set": {"agent_id": "agent-9"}})
    )
    cached = await conversations.get(conversation_id)
    assert cached is not None and cached.agent_id == "agent-1"

    status, body = await post(
        client,
        f"/api/conversations/{conversation_id}/transfer",
        "supervisor",
        "sup-1",
        {"to_agent_id": "agent-2"},
    )
    assert status == 409, body
    assert body["error"]["code"] == "transfer_conflict"


async def test_when_someone_other_than_the_holder_or_a_supervisor_transfers_then_it_is_refused(
    client: Client,
) -> None:
    _agent, _customer, conversation_id = await held_by_agent_1(client)
    path = f"/api/conversations/{conversation_id}/transfer"
    to_two = {"to_agent_id": "agent-2"}
    assert (await post(client, path, "agent", "agent-2", to_two))[0] == 404  # not theirs
    assert (await post(client, path, "customer", "cust-1", to_two))[0] == 403
    assert (await post(client, path, "privacy_officer", "po-1", to_two))[0] == 403
    status, body = await post(client, path, "agent", "agent-1", {"to_agent_id": "a b"})
    assert status == 400 and body["error"]["code"] == "bad_request"
    status, body = await post(client, path, "agent", "agent-1", {"to": "agent-2"})
    assert status == 400


async def test_when_supervisor_assigns_from_the_queue_then_the_agent_holds_it(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "Hello")
    # An agent cannot hand out a queued conversation: that is a supervisor's job.
    path = f"/api/conversations/{conversation_id}/transfer"
    status, _ = await post(client, path, "agent", "agent-1", {"to_agent_id": "agent-1"})
    assert status == 403

    status, body = await post(client, path, "supervisor", "sup-1", {"to_agent_id": "agent-1"})
    assert status == 200, body
    await agent.expect("conversation.transferred", to_agent_id="agent-1")
    reply = await agent.send_text("Hello, I can help", conversation_id=conversation_id)
    await agent.expect("message.ack", client_id=reply)

    response = await client.get("/api/team", headers=auth(client, "supervisor", "sup-1"))
    assert response.status == 200
    team = await response.json()
    assert {"agent_id": "agent-1", "open_conversations": 1} in team["agents"]
    assert team["unassigned"] == 0
    response = await client.get("/api/team", headers=auth(client, "agent", "agent-1"))
    assert response.status == 403


async def test_when_agent_writes_a_note_then_staff_see_it_masked_and_the_customer_never_does(
    client: Client,
) -> None:
    agent, customer, conversation_id = await held_by_agent_1(client)
    supervisor = await connect(client, "supervisor", "sup-1")
    bystander = await connect(client, "agent", "agent-2")
    secret_words = "usual grumbler, wants a discount"

    status, body = await post(
        client,
        f"/api/conversations/{conversation_id}/notes",
        "agent",
        "agent-1",
        {"text": f"{secret_words}; paid with {CARD}"},
    )
    assert status == 201, body
    note = body["note"]
    assert note["text"] == f"{secret_words}; paid with [CREDIT_CARD]"
    assert [f["entity_type"] for f in note["findings"] if f["sensitive"]] == ["CREDIT_CARD"]
    live = await supervisor.expect("note.new")
    assert live["note"] == note
    assert (await agent.expect("note.new"))["note"]["id"] == note["id"]
    await bystander.expect_nothing("note.new")  # not theirs: held by agent-1

    # Nothing the customer can reach carries it: the socket, history, transcript, export.
    await customer.send({"type": "ping"})
    await customer.expect("pong")
    assert all(secret_words not in json.dumps(f) for f in customer.buffer)
    await customer.expect_nothing("note.new")
    customer_auth = auth(client, "customer", "cust-1")
    notes_path = f"/api/conversations/{conversation_id}/notes"
    response = await client.get(notes_path, headers=customer_auth)
    assert response.status == 403
    for path in (
        f"/api/conversations/{conversation_id}/messages",
        f"/api/conversations/{conversation_id}/transcript",
        f"/api/conversations/{conversation_id}/transcript?format=html",
        "/api/privacy/customers/cust-1/export",
    ):
        response = await client.get(path, headers=customer_auth)
        assert response.status == 200, path
        assert secret_words not in await response.text(), path

    # Staff read it back; the store never held the card number.
    response = await client.get(
        f"/api/conversations/{conversation_id}/notes", headers=auth(client, "supervisor", "s")
    )
    assert [n["id"] for n in (await response.json())["notes"]] == [note["id"]]
    stored = await client.app[keys.STORE].notes.for_conversation(conversation_id)
    assert CARD not in str(stored) and CARD_DIGITS not in str(stored)
    assert [(s["state"], s["value"]) for s in stored[0]["secrets"]] == [("discarded", None)]


async def test_when_the_privacy_officer_exports_then_notes_are_included(client: Client) -> None:
    _agent, _customer, conversation_id = await held_by_agent_1(client)
    status, _ = await post(
        client,
        f"/api/conversations/{conversation_id}/notes",
        "agent",
        "agent-1",
        {"text": "asked twice for a refund"},
    )
    assert status == 201
    response = await client.get(
        "/api/privacy/customers/cust-1/export", headers=auth(client, "privacy_officer", "po-1")
    )
    assert response.status == 200
    export = await response.json()
    assert [n["text"] for n in export["staff_notes"]] == ["asked twice for a refund"]


async def test_when_tags_and_priority_are_set_then_staff_see_them_live_and_listed(
    client: Client,
) -> None:
    _agent, _customer, conversation_id = await held_by_agent_1(client)
    supervisor = await connect(client, "supervisor", "sup-1")
    status, body = await post(
        client,
        f"/api/conversations/{conversation_id}/triage",
        "agent",
        "agent-1",
        {"tags": ["Refund", "late delivery", "refund"], "priority": "high"},
    )
    assert status == 200, body
    assert body["conversation"]["tags"] == ["late delivery", "refund"]
    updated = await supervisor.expect("conversation.updated")
    assert updated["conversation"]["priority"] == "high"
    response = await client.get("/api/conversations", headers=auth(client, "agent", "agent-1"))
    listed = (await response.json())["conversations"]
    assert [(c["tags"], c["priority"]) for c in listed] == [(["late delivery", "refund"], "high")]
    status, body = await post(
        client, f"/api/conversations/{conversation_id}/triage", "agent", "agent-1", {}
    )
    assert status == 400
    status, body = await post(
        client,
        f"/api/conversations/{conversation_id}/triage",
        "agent",
        "agent-1",
        {"priority": "whenever"},
    )
    assert status == 400
