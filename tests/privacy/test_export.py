"""A customer's copy of their data (policy 7.1; CONTRACT 4, `GET .../export`), over the real
server and store: everything held about the customer, messages exactly as the customer sees
them, who read their sensitive values, and one audit record per export.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers.consent import (
    CARD_TEXT,
    HEALTH_TEXT,
    ID_TEXT,
    LAT,
    LNG,
    MASKED_CARD_TEXT,
    RESIDENT_ID,
    Chat,
    answer,
    assigned_chat,
    audit_entries,
    headers,
    history,
    raw_db,
    send_location,
    send_sensitive,
)
from tests.helpers.ws import Client

EXPORT_URL = "/api/privacy/customers/{}/export"
SET_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def _export(client: Client, customer_id: str, role: str, sub: str) -> dict[str, Any]:
    response = await client.get(EXPORT_URL.format(customer_id), headers=headers(client, role, sub))
    assert response.status == 200, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = await response.json()
    return body


async def _decide(chat: Chat, text: str, *, granted: bool) -> tuple[str, str]:
    message_id, request = await send_sensitive(chat.customer, text)
    await answer(chat.customer, request["request_id"], granted=granted)
    await chat.customer.expect("consent.recorded", request_id=request["request_id"])
    return message_id, str(request["request_id"])


async def _held_and_filed(client: Client, conversation_id: str) -> None:
    """A legal hold and deletion requests as the deletion module stores them."""
    db = raw_db(client)
    await db["legal_holds"].insert_one(
        {
            "_id": "lh_export",
            "scope": "conversation",
            "customer_id": "cust-1",
            "conversation_id": conversation_id,
            "reason": "litigation 2026-17 (confidential)",
            "active": True,
            "set_by": {"role": "privacy_officer", "id": "po-1"},
            "set_at": SET_AT,
            "lifted_at": None,
            "lifted_by": None,
        }
    )
    for request_id, customer_id in (("dr_mine", "cust-1"), ("dr_theirs", "cust-2")):
        await db["deletion_requests"].insert_one(
            {
                "_id": request_id,
                "customer_id": customer_id,
                "filed_by": {"role": "customer", "id": customer_id},
                "received_at": SET_AT,
                "due_at": SET_AT + timedelta(days=21),
                "status": "received",
                "history": [{"at": SET_AT, "status": "received", "note": "filed"}],
                "completed_at": None,
            }
        )


async def test_when_customer_exports_then_everything_held_is_there_as_they_see_it(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    granted_id, granted_request = await _decide(chat, ID_TEXT, granted=True)
    await chat.agent.expect_message("message.updated", id=granted_id)  # read: audited
    refused_id, refused_request = await _decide(chat, CARD_TEXT, granted=False)
    health_id, health_request = await _decide(chat, HEALTH_TEXT, granted=True)
    await chat.customer.send({"type": "consent.withdraw", "categories": ["health"]})
    await chat.customer.expect("consent.recorded", reason="withdrawn")
    location_id = await send_location(chat.customer)
    pending = await chat.customer.expect("consent.request", message_id=location_id)
    reply = await chat.agent.send_text("Thanks, checking", conversation_id=chat.conversation_id)
    await chat.agent.expect("message.ack", client_id=reply)
    await _held_and_filed(client, chat.conversation_id)
    reads_before = await audit_entries(client, action="sensitive_read")
    mine = await history(client, chat.conversation_id, "customer", "cust-1")

    export = await _export(client, "cust-1", "customer", "cust-1")

    assert export["format"] == "chat-service.customer-export"
    assert export["format_version"] == 1
    assert datetime.fromisoformat(export["generated_at"]).tzinfo is not None
    assert export["customer_id"] == "cust-1"
    assert export["requested_by"] == {"role": "customer", "id": "cust-1"}
    profile = export["profile"]
    assert profile["customer_id"] == "cust-1"
    assert profile["minor"] is False
    assert profile["encryption_key_on_file"] is True
    assert profile["note"]
    [conversation] = export["conversations"]
    assert conversation["id"] == chat.conversation_id
    assert conversation["customer_id"] == "cust-1"
    assert conversation["agent_id"] == "agent-1"
    assert conversation["minor"] is False
    messages = conversation["messages"]
    assert messages == mine  # exactly as the customer sees them
    assert [m["seq"] for m in messages] == list(range(1, 7))
    by_id = {m["id"]: m for m in messages}
    assert messages[0]["text"] == "Hello"
    assert by_id[granted_id]["text"] == ID_TEXT
    assert by_id[refused_id]["text"] == MASKED_CARD_TEXT
    assert by_id[refused_id]["masked"] is True
    assert by_id[health_id]["masked"] is True
    assert "penicillin" not in by_id[health_id]["text"]
    assert by_id[location_id]["location"] == {"lat": LAT, "lng": LNG, "accuracy_m": None}
    assert by_id[location_id]["consent"] == "pending"
    assert messages[-1]["text"] == "Thanks, checking"
    assert messages[-1]["sender"] == {"role": "agent", "id": "agent-1"}
    assert export["attachments"] == []
    assert "picture and file" in export["attachments_note"]

    consents = export["consents"]
    assert [(e["decision"], e["categories"]) for e in consents["ledger"]] == [
        ("granted", ["identity_document"]),
        ("refused", ["financial"]),
        ("granted", ["health"]),
        ("withdrawn", ["health"]),
    ]
    assert [r["id"] for r in consents["requests"]] == [
        granted_request,
        refused_request,
        health_request,
        pending["request_id"],
    ]
    assert [r["status"] for r in consents["requests"]] == [
        "granted",
        "refused",
        "granted",
        "pending",
    ]
    assert [d["id"] for d in export["deletion_requests"]] == ["dr_mine"]
    assert export["deletion_requests"][0]["due_at"] == (SET_AT + timedelta(days=21)).isoformat()

    assert reads_before, "the agent's read of the consented value was audited"
    assert export["access_log"] == [
        {
            "at": r["at"].isoformat(),
            "by": r["actor"],
            "message_id": r["message_id"],
            "categories": r["categories"],
            "reason": r["reason"],
        }
        for r in reads_before
    ]
    assert {
        "at": reads_before[0]["at"].isoformat(),
        "by": {"role": "agent", "id": "agent-1"},
        "message_id": granted_id,
        "categories": ["identity_document"],
        "reason": "live delivery",
    } in export["access_log"]
    destroyed = [a for a in export["audit"] if a["action"] == "sensitive_destroyed"]
    assert {d["message_id"] for d in destroyed} == {refused_id, health_id}

    [hold] = export["legal_holds"]
    assert hold == {
        "id": "lh_export",
        "scope": "conversation",
        "conversation_id": chat.conversation_id,
        "active": True,
        "set_at": SET_AT.isoformat(),
        "lifted_at": None,
    }
    assert "litigation" not in str(export)  # the reason is not in the customer's copy
    assert export["counts"] == {
        "conversations": 1,
        "messages": 6,
        "consent_entries": 4,
        "consent_requests": 4,
        "deletion_requests": 1,
        "access_log": len(reads_before),
        "legal_holds": 1,
        "attachments": 0,
    }


async def test_when_an_export_is_made_then_it_is_audited_once_and_reads_nothing_else(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    granted_id, _ = await _decide(chat, ID_TEXT, granted=True)
    await chat.agent.expect_message("message.updated", id=granted_id)
    location_id = await send_location(chat.customer)
    await chat.customer.expect("consent.request", message_id=location_id)
    await _held_and_filed(client, chat.conversation_id)
    reads_before = await audit_entries(client, action="sensitive_read")

    own = await _export(client, "cust-1", "customer", "cust-1")
    officer = await _export(client, "cust-1", "privacy_officer", "po-1")

    assert await audit_entries(client, action="sensitive_read") == reads_before
    first, second = await audit_entries(client, action="export")
    assert first["actor"] == {"role": "customer", "id": "cust-1"}
    assert second["actor"] == {"role": "privacy_officer", "id": "po-1"}
    for entry in (first, second):
        assert entry["customer_id"] == "cust-1"
        assert entry["message_id"] is None
        assert entry["categories"] == ["identity_document", "precise_location"]
        assert entry["details"]["counts"]["messages"] == 3
        assert entry["details"]["format_version"] == 1
        assert entry["at"].tzinfo is not None
    assert "privacy officer" in second["reason"]
    # The officer sees what the customer sees, and the hold's reason and author.
    assert officer["conversations"] == own["conversations"]
    assert RESIDENT_ID in str(officer["conversations"])
    assert officer["requested_by"] == {"role": "privacy_officer", "id": "po-1"}
    [hold] = officer["legal_holds"]
    assert hold["reason"] == "litigation 2026-17 (confidential)"
    assert hold["set_by"] == {"role": "privacy_officer", "id": "po-1"}
    # The earlier export is itself in the later one.
    [earlier] = [a for a in officer["audit"] if a["action"] == "export"]
    assert earlier["actor"] == {"role": "customer", "id": "cust-1"}


async def test_when_a_customer_has_no_data_then_the_export_is_empty_not_an_error(
    client: Client,
) -> None:
    export = await _export(client, "nobody", "customer", "nobody")

    assert export["conversations"] == []
    assert export["profile"]["minor"] is False
    assert export["profile"]["first_contact_at"] is None
    assert export["profile"]["encryption_key_on_file"] is False
    assert export["consents"]["ledger"] == []
    assert export["deletion_requests"] == []
    assert export["access_log"] == []
    assert export["audit"] == []
    assert export["legal_holds"] == []
    [entry] = await audit_entries(client, action="export")
    assert entry["customer_id"] == "nobody"


async def test_when_anyone_but_the_customer_or_an_officer_asks_then_refused_and_not_audited(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    await _decide(chat, ID_TEXT, granted=True)
    url = EXPORT_URL.format("cust-1")
    expected = {
        ("customer", "cust-1"): 200,
        ("customer", "cust-2"): 403,
        ("agent", "agent-1"): 403,
        ("supervisor", "sup-1"): 403,
        ("privacy_officer", "po-1"): 200,
    }
    got: dict[tuple[str, str], int] = {}
    for role, sub in expected:
        response = await client.get(url, headers=headers(client, role, sub))
        got[role, sub] = response.status
        if response.status != 200:
            assert (await response.json())["error"]["code"] == "forbidden"
            text = await response.text()
            assert RESIDENT_ID not in text
            assert "Hello" not in text
    assert got == expected
    anonymous = await client.get(url)
    assert anonymous.status == 401
    assert (await anonymous.json())["error"]["code"] == "unauthenticated"
    forged = await client.get(url, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status == 401
    exports = await audit_entries(client, action="export")
    assert [e["actor"] for e in exports] == [
        {"role": "customer", "id": "cust-1"},
        {"role": "privacy_officer", "id": "po-1"},
    ]


async def test_when_an_officer_names_an_overlong_customer_id_then_bad_request(
    client: Client,
) -> None:
    response = await client.get(
        EXPORT_URL.format("c" * 129), headers=headers(client, "privacy_officer", "po-1")
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"
    assert await audit_entries(client, action="export") == []
