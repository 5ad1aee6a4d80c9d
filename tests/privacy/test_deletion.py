"""The customer's right to deletion (policy 7.2), end to end over the real server and store:
filed over HTTP, carried out by the deletion pass; messages, conversations, consent requests
and the data key gone; a dump taken before no longer decrypts; the evidence pseudonymised;
held data kept until the hold is lifted; recipients notified; a pass killed halfway resumes."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bson import Binary

from chat_service.privacy.deletion import carry_out, process_due
from chat_service.privacy.pseudonyms import pseudonymizer_for
from chat_service.privacy.webhooks import WebhookNotifier
from chat_service.storage.crypto import FieldCipher, load_master_key
from tests.helpers.consent import (
    CARD,
    CARD_TEXT,
    answer,
    assigned_chat,
    audit_entries,
    headers,
    send_sensitive,
    services_of,
)
from tests.helpers.rights import docs, dump_text, file_deletion, notifier_for, set_hold
from tests.helpers.ws import Client

CUSTOMER = "cust-del"
PSEUDONYM = re.compile(r"^p_[0-9a-f]{64}$")
# Collections that keep evidence after a deletion; none may name the customer any more.
EVIDENCE = ("consents", "audit", "deletion_requests", "legal_holds")


async def customer_with_kept_card(client: Client) -> tuple[str, str]:
    """An assigned chat, closed by its agent, where the customer sent a card number and
    consented to keeping it: (conversation id, message id)."""
    chat = await assigned_chat(client, customer_sub=CUSTOMER)
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT, chat.conversation_id)
    await answer(chat.customer, request["request_id"], granted=True)
    await chat.customer.expect("consent.recorded")
    await chat.agent.send({"type": "conversation.close", "conversation_id": chat.conversation_id})
    await chat.customer.expect("conversation.closed")
    await chat.customer.ws.close()
    await chat.agent.ws.close()
    return chat.conversation_id, message_id


async def encrypted_dump(client: Client) -> list[Binary]:
    """A raw copy of every encrypted value in the store, as a backup would hold it."""
    values = [
        secret["value"]
        for doc in await docs(client, "messages", customer_id=CUSTOMER)
        for secret in doc.get("secrets", [])
        if isinstance(secret.get("value"), Binary)
    ]
    assert values, "the customer has no encrypted values to dump"
    return values


async def fresh_cipher(client: Client) -> FieldCipher:
    """A FieldCipher built from scratch with the master key, as a restore would."""
    services = services_of(client)
    settings = services.settings
    master_key = await asyncio.to_thread(
        load_master_key, settings.master_key, settings.data_dir, allow_dev_key=True
    )
    cipher = FieldCipher(services.store.client, settings.config.store.database, master_key)
    await cipher.start()
    return cipher


async def test_when_a_customer_files_then_due_at_is_15_working_days_skipping_the_spring_festival(
    client: Client,
) -> None:
    # Friday 13 February 2026, 10:00 in Shanghai: Sat 14 Feb is an adjusted working day,
    # 15-23 Feb are the Spring Festival, Sat 28 Feb works again: day 15 is Thu 12 March.
    received = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)
    services_of(client).clock = lambda: received

    status, request = await file_deletion(client, CUSTOMER)

    assert status == 201
    assert request["id"].startswith("dr_")
    assert request["customer_id"] == CUSTOMER
    assert request["status"] == "received"
    assert datetime.fromisoformat(request["received_at"]) == received
    assert datetime.fromisoformat(request["due_at"]) == datetime(
        2026, 3, 12, 15, 59, 59, 999000, tzinfo=UTC
    )
    assert request["filed_by"] == {"role": "customer", "id": CUSTOMER}
    assert [h["status"] for h in request["history"]] == ["received"]
    assert "open_key" not in request

    again, same = await file_deletion(client, CUSTOMER, "privacy_officer", "po-1")
    assert again == 200
    assert same["id"] == request["id"]
    [audit] = await audit_entries(client, action="deletion_requested")
    assert audit["customer_id"] == CUSTOMER
    assert audit["details"]["request_id"] == request["id"]


async def test_when_a_deletion_is_carried_out_then_everything_goes_and_a_dump_taken_before_no_longer_decrypts(  # noqa: E501
    client: Client, tmp_path: Path
) -> None:
    services = services_of(client)
    conversation_id, message_id = await customer_with_kept_card(client)
    dump = await encrypted_dump(client)
    assert [await services.cipher.decrypt(v) for v in dump] == [CARD]
    notifier = await notifier_for(client, tmp_path)

    status, filed = await file_deletion(client, CUSTOMER)
    assert status == 201
    [done] = await process_due(services, notifier=notifier)

    # The data: messages (with findings and values), the conversation, consent requests.
    assert done["status"] == "completed"
    assert await docs(client, "messages", customer_id=CUSTOMER) == []
    assert await docs(client, "messages", _id=message_id) == []
    assert await docs(client, "conversations", _id=conversation_id) == []
    assert await docs(client, "consent_requests", customer_id=CUSTOMER) == []
    assert await services.store.conversations.get(conversation_id) is None  # no cached copy
    # The data key: gone, and the copy taken before cannot be decrypted, here or afresh.
    assert await services.cipher.has_key(CUSTOMER) is False
    assert [await services.cipher.decrypt(v) for v in dump] == [None]
    restored = await fresh_cipher(client)
    try:
        assert [await restored.decrypt(v) for v in dump] == [None]
    finally:
        await restored.close()

    # The evidence: kept, under the pseudonym, without message or connection ids.
    pseudonym = (await pseudonymizer_for(services))(CUSTOMER)
    assert PSEUDONYM.match(pseudonym)
    for collection in EVIDENCE:
        assert CUSTOMER not in await dump_text(client, collection), collection
    [entry] = await docs(client, "consents", customer_id=pseudonym)
    assert entry["decision"] == "granted"
    assert entry["categories"] == ["financial"]
    assert entry["purpose"] == "customer_service"
    assert entry["policy_version"] == services.settings.consent.policy_version
    assert entry["at"].tzinfo is not None
    assert entry["decided_by"] == {"role": "customer", "id": pseudonym}
    assert entry["evidence"]["message_ids"] == []
    assert entry["evidence"]["connection_id"] is None
    assert entry["pseudonymised"] is True
    audit = await audit_entries(client, customer_id=pseudonym)
    assert {"deletion_requested", "customer_deleted"} <= {a["action"] for a in audit}
    assert all(a["message_id"] is None for a in audit)
    [deleted] = [a for a in audit if a["action"] == "customer_deleted"]
    assert deleted["details"]["request_id"] == filed["id"]
    assert deleted["details"]["key_shredded"] is True
    assert deleted["details"]["messages"] >= 2

    # The request: completed, pseudonymised, with its history; the customer still sees it.
    [request] = await docs(client, "deletion_requests")
    assert request["customer_id"] == pseudonym
    assert request["pseudonymised"] is True
    assert request["filed_by"] == {"role": "customer", "id": pseudonym}
    assert [h["status"] for h in request["history"]] == ["received", "in_progress", "completed"]
    assert request["completed_at"] <= request["due_at"]
    assert request["key_shredded"] is True
    assert request["deleted"]["conversations"] == 1
    assert "open_key" not in request
    listed = await client.get(
        f"/api/privacy/customers/{CUSTOMER}/deletion-requests",
        headers=headers(client, "customer", CUSTOMER),
    )
    [shown] = (await listed.json())["deletion_requests"]
    assert shown["id"] == filed["id"]
    assert shown["status"] == "completed"

    # The recipients: one signed notice queued, naming the customer so they can delete too.
    [delivery] = await docs(client, "webhook_deliveries")
    assert delivery["event"] == "customer.deleted"
    assert delivery["event_id"] == filed["id"]
    assert delivery["webhook"] == "crm"
    assert json.loads(delivery["body"])["data"] == {
        "customer_id": CUSTOMER,
        "request_id": filed["id"],
        "scope": "all",
    }

    # Again: nothing left to do, nothing recorded twice.
    assert await process_due(services, notifier=notifier) == []
    again = await carry_out(services, filed["id"], notifier=notifier)
    assert again["history"] == request["history"]
    assert len(await docs(client, "webhook_deliveries")) == 1
    assert len([a for a in await audit_entries(client) if a["action"] == "customer_deleted"]) == 1


async def test_when_a_conversation_is_held_then_it_survives_the_deletion_until_the_hold_is_lifted(
    client: Client, tmp_path: Path
) -> None:
    services = services_of(client)
    held_id, held_message = await customer_with_kept_card(client)
    other = await assigned_chat(client, customer_sub=CUSTOMER, agent_sub="agent-2")
    assert other.conversation_id != held_id
    await other.customer.ws.close()
    await other.agent.ws.close()
    notifier = await notifier_for(client, tmp_path)
    status, _ = await set_hold(
        client, f"/api/conversations/{held_id}", hold=True, reason="chargeback dispute"
    )
    assert status == 201

    _, filed = await file_deletion(client, CUSTOMER)
    [partial] = await process_due(services, notifier=notifier)

    assert partial["status"] == "partially_completed"
    assert partial["held"]["customer"] is False
    assert partial["held"]["conversations"] == [held_id]
    assert [h["reason"] for h in partial["held"]["holds"]] == ["chargeback dispute"]
    assert [d["_id"] for d in await docs(client, "conversations")] == [held_id]
    assert {m["conversation_id"] for m in await docs(client, "messages")} == {held_id}
    assert await docs(client, "messages", _id=held_message) != []
    assert await services.cipher.has_key(CUSTOMER) is True  # the held values need it
    [notice] = await docs(client, "webhook_deliveries")
    assert json.loads(notice["body"])["data"]["scope"] == "partial"

    # A pass while the hold stands changes nothing and records nothing new.
    [still] = await process_due(services, notifier=notifier)
    assert still["history"] == partial["history"]

    status, _ = await set_hold(
        client, f"/api/conversations/{held_id}", hold=False, reason="dispute closed"
    )
    assert status == 200
    [done] = await process_due(services, notifier=notifier)
    assert done["status"] == "completed"
    assert [h["status"] for h in done["history"]] == [
        "received",
        "in_progress",
        "partially_completed",
        "completed",
    ]
    assert done["held"] is None
    assert await docs(client, "conversations") == []
    assert await docs(client, "messages") == []
    assert await services.cipher.has_key(CUSTOMER) is False
    [hold] = await docs(client, "legal_holds")
    assert hold["customer_id"] == done["customer_id"]  # the pseudonym
    assert hold["reason"] == "chargeback dispute"
    notices = await docs(client, "webhook_deliveries")
    assert sorted(json.loads(n["body"])["data"]["scope"] for n in notices) == ["all", "partial"]
    assert {n["event_id"] for n in notices} == {filed["id"], filed["id"] + ".partial"}


async def test_when_the_customer_is_held_then_nothing_of_theirs_is_deleted(
    client: Client, tmp_path: Path
) -> None:
    services = services_of(client)
    conversation_id, message_id = await customer_with_kept_card(client)
    notifier = await notifier_for(client, tmp_path)
    await set_hold(client, f"/api/privacy/customers/{CUSTOMER}", hold=True, reason="regulator")

    await file_deletion(client, CUSTOMER)
    [partial] = await process_due(services, notifier=notifier)

    assert partial["status"] == "partially_completed"
    assert partial["held"]["customer"] is True
    assert await docs(client, "conversations", _id=conversation_id) != []
    assert await docs(client, "messages", _id=message_id) != []
    assert await docs(client, "consents", customer_id=CUSTOMER) != []
    assert await services.cipher.has_key(CUSTOMER) is True


class FailingOnce(WebhookNotifier):
    """The process dies while queueing the notice, after the data went (a kill halfway)."""

    failed = False

    async def enqueue(
        self,
        event: str,
        payload: Mapping[str, Any],
        now: datetime,
        *,
        event_id: str | None = None,
    ) -> list[str]:
        if not self.failed:
            self.failed = True
            raise RuntimeError("killed")
        return await super().enqueue(event, payload, now, event_id=event_id)


async def test_when_a_pass_is_killed_halfway_then_the_next_pass_finishes_the_deletion(
    client: Client, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    services = services_of(client)
    await customer_with_kept_card(client)
    notifier = await notifier_for(client, tmp_path)
    failing = FailingOnce(notifier.config, services.store.webhook_deliveries)
    _, filed = await file_deletion(client, CUSTOMER)

    assert await process_due(services, notifier=failing) == []
    assert "deletion request pass failed" in caplog.text
    [halfway] = await docs(client, "deletion_requests")
    assert halfway["status"] == "in_progress"
    assert halfway["customer_id"] == CUSTOMER
    assert await docs(client, "messages") == []
    assert await services.cipher.has_key(CUSTOMER) is True

    [done] = await process_due(services, notifier=failing)
    assert done["status"] == "completed"
    assert await services.cipher.has_key(CUSTOMER) is False
    [delivery] = await docs(client, "webhook_deliveries")
    assert delivery["event_id"] == filed["id"]
    for collection in EVIDENCE:
        assert CUSTOMER not in await dump_text(client, collection), collection
