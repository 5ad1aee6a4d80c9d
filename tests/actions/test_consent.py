"""Separate consent for sensitive personal information, over real sockets and the real store.

Policy 2.3, 2.6, 5 and 7.3; CONTRACT.md 4-5. A customer's sensitive value reaches an agent
only after the customer (a guardian, for a child) agreed; a refusal, a time-out or a
withdrawal destroys it; every decision is in the ledger and every read or destruction in
the audit.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from typing import Any

import bson
import pytest

from chat_service.actions.consent import sweep_expired
from tests.helpers.consent import (
    CARD,
    CARD_DIGITS,
    CARD_TEXT,
    GUARDIAN,
    HEALTH_TEXT,
    ID_TEXT,
    LAT,
    LNG,
    MASKED_CARD_TEXT,
    OTHER_CARD,
    RESIDENT_ID,
    answer,
    assigned_chat,
    audit_entries,
    connect_minor,
    headers,
    history,
    ledger,
    move_clock,
    raw_db,
    raw_message,
    raw_request,
    send_location,
    send_sensitive,
    services_of,
)
from tests.helpers.ws import Client, connect


async def test_when_customer_grants_then_agent_sees_the_value_and_ledger_has_the_evidence(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT)

    own = await chat.customer.expect_message(id=message_id)
    assert own["text"] == CARD_TEXT
    assert own["masked"] is False
    seen = await chat.agent.expect_message(id=message_id)
    assert seen["text"] == MASKED_CARD_TEXT
    assert seen["masked"] is True
    assert seen["consent"] == "pending"
    assert request["categories"] == ["financial"]
    assert request["message_ids"] == [message_id]
    assert request["purpose"] == "customer_service"
    assert request["guardian_required"] is False
    assert "bank card or account" in request["notice"]

    await answer(chat.customer, request["request_id"], granted=True)
    recorded = await chat.customer.expect("consent.recorded")
    assert recorded["request_id"] == request["request_id"]
    assert recorded["granted"] is True
    assert recorded["reason"] == "answered"
    updated = await chat.agent.expect_message("message.updated", id=message_id)
    assert updated["text"] == CARD_TEXT
    assert updated["masked"] is False
    assert updated["consent"] == "granted"
    card = [f for f in updated["findings"] if f["entity_type"] == "CREDIT_CARD"]
    assert [CARD_TEXT[f["start"] : f["end"]] for f in card] == [CARD]

    body = await ledger(client, "cust-1")
    assert body["granted"] == ["financial"]
    [entry] = body["ledger"]
    assert entry["customer_id"] == "cust-1"
    assert entry["categories"] == ["financial"]
    assert entry["purpose"] == "customer_service"
    assert entry["policy_version"] == services_of(client).settings.consent.policy_version
    assert entry["decision"] == "granted"
    assert datetime.fromisoformat(entry["at"]).tzinfo is not None
    assert entry["decided_by"] == {"role": "customer", "id": "cust-1"}
    evidence = entry["evidence"]
    assert evidence["request_id"] == request["request_id"]
    assert evidence["message_ids"] == [message_id]
    assert isinstance(evidence["connection_id"], str) and evidence["connection_id"]
    [stored_request] = body["requests"]
    assert stored_request["status"] == "granted"


async def test_when_customer_refuses_then_the_value_is_destroyed_for_everyone(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT)
    await chat.customer.expect_message(id=message_id)
    await chat.agent.expect_message(id=message_id)

    await answer(chat.customer, request["request_id"], granted=False)
    recorded = await chat.customer.expect("consent.recorded")
    assert recorded["request_id"] == request["request_id"]
    assert recorded["granted"] is False
    assert recorded["reason"] == "answered"
    for peer in (chat.customer, chat.agent):
        updated = await peer.expect_message("message.updated", id=message_id)
        assert updated["text"] == MASKED_CARD_TEXT
        assert updated["masked"] is True
        assert updated["consent"] == "refused"

    doc = await raw_message(client, message_id)
    [secret] = doc["secrets"]
    assert secret["value"] is None
    assert secret["state"] == "destroyed"
    assert doc["consent"] == "refused"
    [own] = [
        m
        for m in await history(client, chat.conversation_id, "customer", "cust-1")
        if m["id"] == message_id
    ]
    assert own["text"] == MASKED_CARD_TEXT
    assert own["masked"] is True
    body = await ledger(client, "cust-1")
    assert [e["decision"] for e in body["ledger"]] == ["refused"]
    assert body["granted"] == []


async def test_when_nobody_answers_for_24_hours_then_the_request_expires_as_a_refusal(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT)
    sent_at = datetime.now(UTC)
    services = services_of(client)

    move_clock(client, sent_at, timedelta(hours=23, minutes=59))
    assert await sweep_expired(services) == 0
    await chat.customer.expect_nothing("consent.recorded")
    assert (await raw_request(client, request["request_id"]))["status"] == "pending"
    assert (await raw_message(client, message_id))["secrets"][0]["value"] is not None

    move_clock(client, sent_at, timedelta(hours=24, seconds=1))
    assert await sweep_expired(services) == 1
    recorded = await chat.customer.expect("consent.recorded")
    assert recorded["request_id"] == request["request_id"]
    assert recorded["granted"] is False
    assert recorded["reason"] == "expired"
    updated = await chat.agent.expect_message("message.updated", id=message_id)
    assert updated["text"] == MASKED_CARD_TEXT
    doc = await raw_message(client, message_id)
    assert doc["secrets"][0]["value"] is None
    assert doc["consent"] == "expired"
    assert (await raw_request(client, request["request_id"]))["status"] == "expired"
    [entry] = (await ledger(client, "cust-1"))["ledger"]
    assert entry["decision"] == "expired"
    assert entry["decided_by"]["role"] == "system"
    assert await sweep_expired(services) == 0  # once only


async def _granted_card(client: Client) -> tuple[Any, str]:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT)
    await answer(chat.customer, request["request_id"], granted=True)
    await chat.customer.expect("consent.recorded", granted=True)
    updated = await chat.agent.expect_message("message.updated", id=message_id)
    assert updated["text"] == CARD_TEXT
    return chat, message_id


async def test_when_customer_withdraws_over_the_socket_then_kept_values_are_destroyed(
    client: Client,
) -> None:
    chat, message_id = await _granted_card(client)

    await chat.customer.send({"type": "consent.withdraw", "categories": ["financial"]})
    recorded = await chat.customer.expect("consent.recorded", reason="withdrawn")
    assert recorded["request_id"] is None
    assert recorded["granted"] is False
    assert recorded["categories"] == ["financial"]
    updated = await chat.agent.expect_message("message.updated", id=message_id)
    assert updated["text"] == MASKED_CARD_TEXT
    assert updated["masked"] is True
    assert (await raw_message(client, message_id))["secrets"][0]["value"] is None

    body = await ledger(client, "cust-1")
    assert [e["decision"] for e in body["ledger"]] == ["granted", "withdrawn"]
    assert body["ledger"][1]["evidence"]["connection_id"]
    assert body["granted"] == []


async def test_when_customer_withdraws_over_http_then_kept_values_are_destroyed(
    client: Client,
) -> None:
    chat, message_id = await _granted_card(client)

    response = await client.post(
        "/api/privacy/customers/cust-1/consents/withdrawal",
        json={"categories": ["financial"]},
        headers=headers(client, "customer", "cust-1"),
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["messages_affected"] == 1
    updated = await chat.agent.expect_message("message.updated", id=message_id)
    assert updated["text"] == MASKED_CARD_TEXT
    assert updated["masked"] is True
    await chat.customer.expect("consent.recorded", reason="withdrawn")
    assert (await raw_message(client, message_id))["secrets"][0]["value"] is None
    body = await ledger(client, "cust-1")
    assert [e["decision"] for e in body["ledger"]] == ["granted", "withdrawn"]
    assert body["ledger"][1]["categories"] == ["financial"]


async def test_when_consent_is_on_record_then_the_next_value_goes_straight_to_the_agent(
    client: Client,
) -> None:
    chat, _ = await _granted_card(client)

    text = f"And the other card is {OTHER_CARD}"
    client_id = await chat.customer.send_text(text)
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    seen = await chat.agent.expect_message(id=ack["message_id"])
    assert seen["text"] == text
    assert seen["masked"] is False
    assert seen["consent"] == "granted"
    await chat.customer.expect_nothing("consent.request")
    doc = await raw_message(client, ack["message_id"])
    assert [s["state"] for s in doc["secrets"]] == ["kept"]
    # Shown live from the value the server was storing: audited all the same.
    reads = await audit_entries(client, action="sensitive_read", message_id=ack["message_id"])
    assert [(r["actor"], r["reason"], r["categories"]) for r in reads] == [
        ({"role": "agent", "id": "agent-1"}, "live delivery", ["financial"])
    ]


async def test_when_consent_is_withdrawn_while_a_message_is_stored_then_nobody_gets_its_value(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat, _ = await _granted_card(client)
    messages = services_of(client).store.messages
    insert = messages.insert

    async def withdraw_first(*args: Any, **kwargs: Any) -> Any:
        # The customer withdraws (another tab) after the message was checked against the
        # ledger, before it is written: it is stored as kept, then found out.
        response = await client.post(
            "/api/privacy/customers/cust-1/consents/withdrawal",
            json={"categories": ["financial"]},
            headers=headers(client, "customer", "cust-1"),
        )
        assert response.status == 200, await response.text()
        return await insert(*args, **kwargs)

    monkeypatch.setattr(messages, "insert", withdraw_first)
    client_id = await chat.customer.send_text(f"And the other card is {OTHER_CARD}")
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    monkeypatch.setattr(messages, "insert", insert)

    seen = await chat.agent.expect_message(id=ack["message_id"])
    assert seen["text"] == "And the other card is [CREDIT_CARD]"
    assert seen["masked"] is True
    assert OTHER_CARD not in str(seen)
    doc = await raw_message(client, ack["message_id"])
    assert [(s["state"], s["value"]) for s in doc["secrets"]] == [("destroyed", None)]
    assert await audit_entries(client, action="sensitive_read", message_id=ack["message_id"]) == []


async def test_when_a_second_message_needs_the_same_consent_then_it_joins_the_open_request(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    first, request = await send_sensitive(chat.customer, CARD_TEXT)
    client_id = await chat.customer.send_text(f"Or use {OTHER_CARD}")
    second = (await chat.customer.expect("message.ack", client_id=client_id))["message_id"]
    masked = await chat.agent.expect_message(id=second)
    assert masked["text"] == "Or use [CREDIT_CARD]"
    await chat.customer.expect_nothing("consent.request")
    assert (await raw_request(client, request["request_id"]))["message_ids"] == [first, second]

    await answer(chat.customer, request["request_id"], granted=True)
    one = await chat.agent.expect_message("message.updated", id=first)
    two = await chat.agent.expect_message("message.updated", id=second)
    assert one["text"] == CARD_TEXT
    assert two["text"] == f"Or use {OTHER_CARD}"
    [entry] = (await ledger(client, "cust-1"))["ledger"]
    assert entry["evidence"]["message_ids"] == [first, second]


async def test_when_token_says_the_customer_is_a_child_then_a_guardian_is_required(
    client: Client,
) -> None:
    kid = await connect_minor(client, "kid-1", age=12)
    chat = await assigned_chat(client, customer=kid)
    message_id, request = await send_sensitive(kid, HEALTH_TEXT)
    assert request["guardian_required"] is True
    assert request["categories"] == ["health", "minor"]
    assert "parent or guardian" in request["notice"]
    seen = await chat.agent.expect_message(id=message_id)
    assert seen["masked"] is True
    assert "penicillin" not in seen["text"]
    conversation = await raw_db(client)["conversations"].find_one({"_id": chat.conversation_id})
    assert conversation is not None and conversation["minor"] is True


async def test_when_a_customer_writes_that_they_are_12_then_a_guardian_is_required(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, "I am 12 years old")
    assert request["guardian_required"] is True
    assert request["categories"] == ["minor"]
    seen = await chat.agent.expect_message(id=message_id)
    assert seen["text"] == "I am [AGE]"


@pytest.mark.parametrize(
    "text", ["I'm twelve and I want the blue one", "I was born in 2015"], ids=["words", "year"]
)
async def test_when_a_customer_writes_their_age_in_words_or_birth_year_then_they_are_a_child(
    client: Client, text: str
) -> None:
    chat = await assigned_chat(client)
    _message_id, request = await send_sensitive(chat.customer, text)
    assert request["categories"] == ["minor"]
    assert request["guardian_required"] is True
    conversation = await raw_db(client)["conversations"].find_one({"_id": chat.conversation_id})
    assert conversation is not None and conversation["minor"] is True


async def test_when_a_child_reveals_their_age_with_a_card_number_then_a_guardian_is_required(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    text = f"hi im 12 years old, my mum's card is {CARD}"
    message_id, request = await send_sensitive(chat.customer, text)
    assert request["categories"] == ["financial", "minor"]
    assert request["guardian_required"] is True
    assert "parent or guardian" in request["notice"]
    seen = await chat.agent.expect_message(id=message_id)
    assert CARD not in seen["text"]

    await answer(chat.customer, request["request_id"], granted=True)
    error = await chat.customer.expect("error", ref=request["request_id"])
    assert error["code"] == "guardian_required"


async def test_when_a_parent_writes_about_their_childs_age_then_a_guardian_answers(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    _message_id, request = await send_sensitive(chat.customer, "My son is 10 years old")
    assert request["categories"] == ["minor"]
    assert request["guardian_required"] is True
    conversation = await raw_db(client)["conversations"].find_one({"_id": chat.conversation_id})
    assert conversation is not None and not conversation.get("minor")  # the author is not


async def test_when_a_customer_turns_out_to_be_a_child_then_what_they_wrote_before_is_masked(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    earlier_id = await chat.customer.send_text("My email is kid@example.com, thanks")
    earlier = (await chat.customer.expect("message.ack", client_id=earlier_id))["message_id"]
    seen = await chat.agent.expect_message(id=earlier)
    assert seen["text"] == "My email is kid@example.com, thanks"  # an adult's: in clear

    message_id, request = await send_sensitive(chat.customer, "I am 12 years old")
    assert request["guardian_required"] is True
    updated = await chat.agent.expect_message("message.updated", id=earlier)
    assert updated["text"] == "My email is [EMAIL_ADDRESS], thanks"
    assert updated["masked"] is True
    assert updated["consent"] == "pending"
    [finding] = updated["findings"]
    assert (finding["start"], finding["end"]) == (12, 27)
    # The customer still sees their own words; the store keeps them only encrypted.
    own = await chat.customer.expect_message("message.updated", id=earlier)
    assert own["text"] == "My email is kid@example.com, thanks"
    doc = await raw_message(client, earlier)
    assert "kid@example.com" not in str(doc)
    assert [(s["categories"], s["state"]) for s in doc["secrets"]] == [(["minor"], "pending")]
    stored = await raw_request(client, request["request_id"])
    assert stored["message_ids"] == [message_id, earlier]

    # Without a guardian's consent the child's data goes, the earlier message's included.
    await answer(chat.customer, request["request_id"], granted=False)
    await chat.customer.expect("consent.recorded", granted=False)
    gone = await chat.agent.expect_message("message.updated", id=earlier)
    assert gone["text"] == "My email is [EMAIL_ADDRESS], thanks"
    assert (await raw_message(client, earlier))["secrets"][0]["value"] is None
    await chat.agent.expect_message("message.updated", id=message_id)
    # Told once: a later message of the child's does not mask the history again.
    await chat.customer.send_text("I am 12 and my email is kid@example.com")
    await chat.agent.expect_message()
    await chat.agent.expect_nothing("message.updated")


async def test_when_a_child_is_found_out_then_earlier_masks_and_clear_data_stay_in_place(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    text = f"Mail k@example.com about card {CARD} or call 13812345678 please"
    first_id, first_request = await send_sensitive(chat.customer, text)
    assert first_request["categories"] == ["financial"]
    seen = await chat.agent.expect_message(id=first_id)
    assert seen["text"] == "Mail k@example.com about card [CREDIT_CARD] or call 13812345678 please"

    await send_sensitive(chat.customer, "I am 12 years old")
    updated = await chat.agent.expect_message("message.updated", id=first_id)
    assert updated["text"] == (
        "Mail [EMAIL_ADDRESS] about card [CREDIT_CARD] or call [PHONE_NUMBER] please"
    )
    for finding in updated["findings"]:
        placeholder = updated["text"][finding["start"] : finding["end"]]
        assert placeholder == f"[{finding['entity_type']}]"
    # Every value back in its own place for the customer: the card's placeholder moved by
    # the e-mail's (13 characters -> 15).
    own = await chat.customer.expect_message("message.updated", id=first_id)
    assert own["text"] == text
    for finding in own["findings"]:
        assert own["text"][finding["start"] : finding["end"]] in (
            "k@example.com",
            CARD,
            "13812345678",
        )
    doc = await raw_message(client, first_id)
    assert [(s["categories"], s["state"]) for s in doc["secrets"]] == [
        (["financial"], "pending"),
        (["minor"], "pending"),
        (["minor"], "pending"),
    ]


async def test_when_a_child_shares_contact_data_then_it_needs_a_guardian_as_child_data(
    client: Client,
) -> None:
    kid = await connect_minor(client, "kid-1")
    chat = await assigned_chat(client, customer=kid)
    message_id, request = await send_sensitive(kid, "My email is kid@example.com")
    assert request["guardian_required"] is True
    assert request["categories"] == ["minor"]
    seen = await chat.agent.expect_message(id=message_id)
    assert seen["text"] == "My email is [EMAIL_ADDRESS]"
    assert [f["category"] for f in seen["findings"]] == ["minor"]
    await kid.expect_nothing("error")


async def test_when_a_child_grants_without_a_guardian_then_guardian_required(
    client: Client,
) -> None:
    kid = await connect_minor(client, "kid-1")
    chat = await assigned_chat(client, customer=kid)
    message_id, request = await send_sensitive(kid, HEALTH_TEXT)

    await answer(kid, request["request_id"], granted=True)
    error = await kid.expect("error", ref=request["request_id"])
    assert error["code"] == "guardian_required"
    await kid.expect_nothing("consent.recorded")
    await chat.agent.expect_nothing("message.updated")
    assert (await raw_request(client, request["request_id"]))["status"] == "pending"
    assert (await raw_message(client, message_id))["secrets"][0]["state"] == "pending"
    assert (await ledger(client, "kid-1"))["ledger"] == []


async def test_when_a_guardian_grants_then_the_guardian_is_in_the_ledger(
    client: Client,
) -> None:
    kid = await connect_minor(client, "kid-1")
    chat = await assigned_chat(client, customer=kid)
    supervisor = await connect(client, "supervisor", "sup-1")
    message_id, request = await send_sensitive(kid, HEALTH_TEXT)

    await answer(kid, request["request_id"], granted=True, guardian=GUARDIAN)
    recorded = await kid.expect("consent.recorded")
    assert recorded["granted"] is True
    [entry] = (await ledger(client, "kid-1"))["ledger"]
    assert entry["decision"] == "granted"
    assert entry["categories"] == ["health", "minor"]
    assert entry["decided_by"] == {"role": "customer", "id": "kid-1", "guardian": GUARDIAN}
    # config/consent.toml: supervisors may see a child's data once consented; agents may not.
    shown = await supervisor.expect_message("message.updated", id=message_id)
    assert shown["text"] == HEALTH_TEXT
    still_masked = await chat.agent.expect_message("message.updated", id=message_id)
    assert still_masked["masked"] is True
    assert "penicillin" not in still_masked["text"]


async def test_when_a_child_refuses_then_the_conversation_is_flagged_for_review(
    client: Client,
) -> None:
    kid = await connect_minor(client, "kid-1")
    chat = await assigned_chat(client, customer=kid)
    message_id, request = await send_sensitive(kid, HEALTH_TEXT)

    await answer(kid, request["request_id"], granted=False)
    await kid.expect("consent.recorded", granted=False)
    conversation = await raw_db(client)["conversations"].find_one({"_id": chat.conversation_id})
    assert conversation is not None
    assert conversation["review"]["reason"]
    assert (await raw_message(client, message_id))["secrets"][0]["value"] is None


async def test_when_a_childs_request_is_unanswered_for_an_hour_then_it_expires_and_is_flagged(
    client: Client,
) -> None:
    kid = await connect_minor(client, "kid-1")
    chat = await assigned_chat(client, customer=kid)
    message_id, _ = await send_sensitive(kid, HEALTH_TEXT)
    sent_at = datetime.now(UTC)
    services = services_of(client)

    move_clock(client, sent_at, timedelta(minutes=59))
    assert await sweep_expired(services) == 0
    move_clock(client, sent_at, timedelta(hours=1, seconds=1))
    assert await sweep_expired(services) == 1
    await kid.expect("consent.recorded", reason="expired")
    assert (await raw_message(client, message_id))["secrets"][0]["value"] is None
    conversation = await raw_db(client)["conversations"].find_one({"_id": chat.conversation_id})
    assert conversation is not None and conversation["review"]["reason"]


async def test_when_a_customer_shares_a_location_then_agents_see_it_only_after_consent(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id = await send_location(chat.customer)
    request = await chat.customer.expect("consent.request", message_id=message_id)
    assert request["categories"] == ["precise_location"]
    own = await chat.customer.expect_message(id=message_id)
    assert own["location"] == {"lat": LAT, "lng": LNG, "accuracy_m": None}
    seen = await chat.agent.expect_message(id=message_id)
    assert seen["location"] is None
    assert seen["masked"] is True
    # Only the ~1 km cell holding the point, before consent.
    area = seen["location_area"]
    assert (area["lat"], area["lng"]) == (31.235, 121.475)
    assert 700 < area["radius_m"] < 1000
    assert abs(area["lat"] - LAT) <= 0.005 and abs(area["lng"] - LNG) <= 0.005

    await answer(chat.customer, request["request_id"], granted=True)
    updated = await chat.agent.expect_message("message.updated", id=message_id)
    assert updated["location"] == {"lat": LAT, "lng": LNG, "accuracy_m": None}
    assert updated["masked"] is False


async def test_when_a_location_is_overly_precise_then_it_is_kept_to_six_decimals(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id = await send_location(chat.customer, lat=31.230412345678, lng=121.473798765432)
    own = await chat.customer.expect_message(id=message_id)
    assert own["location"] == {"lat": 31.230412, "lng": 121.473799, "accuracy_m": None}
    assert own["location_area"] == (await chat.agent.expect_message(id=message_id))["location_area"]


async def test_when_an_agent_pastes_a_card_number_then_it_is_masked_and_never_kept(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    text = f"Please confirm the card {CARD} is yours"
    client_id = await chat.agent.send_text(text, conversation_id=chat.conversation_id)
    ack = await chat.agent.expect("message.ack", client_id=client_id)
    warning = await chat.agent.expect("warning", ref=client_id)
    assert warning["code"] == "sensitive_data_masked"
    assert warning["entity_types"] == ["CREDIT_CARD"]

    got = await chat.customer.expect_message(id=ack["message_id"])
    assert got["text"] == "Please confirm the card [CREDIT_CARD] is yours"
    assert got["masked"] is True
    await chat.customer.expect_nothing("consent.request")
    doc = await raw_message(client, ack["message_id"])
    encoded = bson.encode(doc)
    assert CARD.encode() not in encoded
    assert CARD_DIGITS.encode() not in encoded
    assert [(s["state"], s["value"]) for s in doc["secrets"]] == [("discarded", None)]


async def test_when_the_raw_store_is_dumped_then_no_sensitive_plaintext_is_in_it(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    granted_id, id_request = await send_sensitive(chat.customer, ID_TEXT)
    await answer(chat.customer, id_request["request_id"], granted=True)
    await chat.customer.expect("consent.recorded", request_id=id_request["request_id"])
    gps_text = f"I am at {LAT}, {LNG} right now"
    refused_id, gps_request = await send_sensitive(chat.customer, gps_text)
    await answer(chat.customer, gps_request["request_id"], granted=False)
    await chat.customer.expect("consent.recorded", request_id=gps_request["request_id"])
    location_id = await send_location(chat.customer)
    await chat.customer.expect("consent.request", message_id=location_id)
    pending_id, _ = await send_sensitive(chat.customer, CARD_TEXT)
    client_id = await chat.agent.send_text(
        f"Card {CARD_DIGITS}?", conversation_id=chat.conversation_id
    )
    await chat.agent.expect("warning", ref=client_id)

    needles = {
        CARD_DIGITS.encode(),
        CARD.encode(),
        RESIDENT_ID.encode(),
        str(LAT).encode(),
        str(LNG).encode(),
        struct.pack("<d", LAT),
        struct.pack("<d", LNG),
    }
    db = raw_db(client)
    names = await db.list_collection_names()
    assert {"messages", "consents", "consent_requests", "audit", "encryption_keys"} <= set(names)
    documents = 0
    for name in names:
        async for doc in db[name].find({}):
            documents += 1
            encoded = bson.encode(doc)
            leaked = [n for n in needles if n in encoded]
            assert not leaked, f"{name} {doc.get('_id')!r} holds {leaked}"
    assert documents > 10

    mine = {m["id"]: m for m in await history(client, chat.conversation_id, "customer", "cust-1")}
    assert mine[granted_id]["text"] == ID_TEXT
    assert RESIDENT_ID not in mine[refused_id]["text"]
    assert mine[location_id]["location"] == {"lat": LAT, "lng": LNG, "accuracy_m": None}
    assert mine[pending_id]["text"] == CARD_TEXT
    theirs = {m["id"]: m for m in await history(client, chat.conversation_id, "agent", "agent-1")}
    assert theirs[granted_id]["text"] == ID_TEXT
    assert theirs[location_id]["location"] is None
    assert theirs[pending_id]["text"] == MASKED_CARD_TEXT


async def test_when_an_agent_reads_a_consented_value_then_the_read_is_audited(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT)
    await chat.agent.expect_message(id=message_id)
    await history(client, chat.conversation_id, "customer", "cust-1")
    assert await audit_entries(client) == []  # masked delivery and the customer's own reads

    await answer(chat.customer, request["request_id"], granted=True)
    await chat.agent.expect_message("message.updated", id=message_id)
    await chat.agent.send(
        {"type": "history.fetch", "conversation_id": chat.conversation_id, "after_seq": 0}
    )
    await chat.agent.expect("history")
    reads = await audit_entries(client, action="sensitive_read")
    assert [(r["actor"], r["reason"]) for r in reads] == [
        ({"role": "agent", "id": "agent-1"}, "live delivery"),
        ({"role": "agent", "id": "agent-1"}, "history"),
    ]
    for read in reads:
        assert read["customer_id"] == "cust-1"
        assert read["message_id"] == message_id
        assert read["categories"] == ["financial"]


async def test_when_values_are_destroyed_then_each_destruction_is_audited(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    refused, refused_request = await send_sensitive(chat.customer, ID_TEXT)
    await answer(chat.customer, refused_request["request_id"], granted=False)
    await chat.customer.expect("consent.recorded", request_id=refused_request["request_id"])
    withdrawn, card_request = await send_sensitive(chat.customer, CARD_TEXT)
    await answer(chat.customer, card_request["request_id"], granted=True)
    await chat.customer.expect("consent.recorded", request_id=card_request["request_id"])
    await chat.customer.send({"type": "consent.withdraw", "categories": ["financial"]})
    await chat.customer.expect("consent.recorded", reason="withdrawn")
    expired, _ = await send_sensitive(chat.customer, HEALTH_TEXT)
    move_clock(client, datetime.now(UTC), timedelta(days=2))
    assert await sweep_expired(services_of(client)) == 1

    destroyed = await audit_entries(client, action="sensitive_destroyed")
    by_message = {d["message_id"]: d for d in destroyed}
    assert len(destroyed) == 3
    customer = {"role": "customer", "id": "cust-1"}
    assert by_message[refused]["actor"] == customer
    assert by_message[refused]["categories"] == ["identity_document"]
    assert by_message[refused]["reason"] == "consent refused"
    assert by_message[withdrawn]["actor"] == customer
    assert by_message[withdrawn]["categories"] == ["financial"]
    assert by_message[withdrawn]["reason"] == "consent withdrawn"
    assert by_message[expired]["actor"]["role"] == "system"
    assert by_message[expired]["categories"] == ["health"]
    assert by_message[expired]["reason"] == "consent expired"
    assert all(d["customer_id"] == "cust-1" for d in destroyed)


async def test_when_the_consent_ledger_is_requested_then_only_the_customer_and_officers_get_it(
    client: Client,
) -> None:
    await _granted_card(client)
    url = "/api/privacy/customers/cust-1/consents"
    expected = {
        ("customer", "cust-1"): 200,
        ("customer", "cust-2"): 403,
        ("agent", "agent-1"): 403,
        ("supervisor", "sup-1"): 403,
        ("privacy_officer", "po-1"): 200,
    }
    got: dict[tuple[str, str], int] = {}
    bodies: list[dict[str, Any]] = []
    for role, sub in expected:
        response = await client.get(url, headers=headers(client, role, sub))
        got[role, sub] = response.status
        body = await response.json()
        if response.status == 200:
            bodies.append(body)
        else:
            assert body["error"]["code"] == "forbidden"
            assert "financial" not in await response.text()
    assert got == expected
    assert bodies[0] == bodies[1]
    assert [e["decision"] for e in bodies[0]["ledger"]] == ["granted"]
    assert (await client.get(url)).status == 401


async def test_when_a_customer_reconnects_then_unanswered_consent_requests_are_asked_again(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, ID_TEXT)
    await chat.customer.ws.close()  # the page is reloaded before the customer answers

    again = await connect(client, "customer", "cust-1")
    repeated = await again.expect("consent.request", request_id=request["request_id"])

    assert repeated["message_ids"] == [message_id]
    assert (repeated["notice"], repeated["categories"]) == (
        request["notice"],
        request["categories"],
    )
    await answer(again, request["request_id"], granted=True)
    await again.expect("consent.recorded", request_id=request["request_id"], granted=True)
    answered = await connect(client, "customer", "cust-1")
    await answered.expect_nothing("consent.request", wait=0.5)
