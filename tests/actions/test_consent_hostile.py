"""Consent frames and requests from the wrong people, at the wrong time, in the wrong shape.

None of them may decide, reveal or probe someone's consent request; each gets an error
frame, and the request stays as it was for its customer.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chat_service.actions.consent import sweep_expired
from chat_service.storage.consents import ConsentRequestDoc
from tests.helpers.consent import (
    CARD_TEXT,
    OTHER_CARD,
    answer,
    assigned_chat,
    headers,
    ledger,
    move_clock,
    raw_message,
    raw_request,
    send_sensitive,
    services_of,
)
from tests.helpers.ws import Client, Peer, connect


async def _untouched(client: Client, request_id: str, message_id: str, customer: Peer) -> None:
    """The request is still pending, its value pending, nothing in the ledger."""
    assert (await raw_request(client, request_id))["status"] == "pending"
    doc = await raw_message(client, message_id)
    assert [s["state"] for s in doc["secrets"]] == ["pending"]
    assert doc["secrets"][0]["value"] is not None
    assert (await ledger(client, customer.sub))["ledger"] == []
    await customer.expect_nothing("consent.recorded")


async def test_when_the_request_id_is_unknown_then_consent_request_not_found(
    client: Client,
) -> None:
    customer = await connect(client, "customer", "cust-1")
    await answer(customer, "cr_000000000000000000000000", granted=True)
    error = await customer.expect("error", ref="cr_000000000000000000000000")
    assert error["code"] == "consent_request_not_found"
    await customer.send({"type": "ping"})
    await customer.expect("pong")


async def test_when_a_customer_answers_someone_elses_request_then_it_looks_unknown(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT)
    intruder = await connect(client, "customer", "cust-2")

    await answer(intruder, "cr_000000000000000000000000", granted=True)
    unknown = await intruder.expect("error", ref="cr_000000000000000000000000")
    for granted in (True, False):
        await answer(intruder, request["request_id"], granted=granted)
        error = await intruder.expect("error", ref=request["request_id"])
        assert (error["code"], error["message"]) == (unknown["code"], unknown["message"])
    await intruder.expect_nothing("consent.recorded")
    await chat.agent.expect_nothing("message.updated")
    await _untouched(client, request["request_id"], message_id, chat.customer)

    await answer(chat.customer, request["request_id"], granted=True)  # the owner still can
    await chat.customer.expect("consent.recorded", granted=True)


async def test_when_an_answered_request_is_replayed_then_consent_already_decided(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT)
    await answer(chat.customer, request["request_id"], granted=False)
    await chat.customer.expect("consent.recorded", granted=False)

    for granted in (True, False):
        await answer(chat.customer, request["request_id"], granted=granted)
        error = await chat.customer.expect("error", ref=request["request_id"])
        assert error["code"] == "consent_already_decided"
    await chat.customer.expect_nothing("consent.recorded")
    assert [e["decision"] for e in (await ledger(client, "cust-1"))["ledger"]] == ["refused"]
    assert (await raw_message(client, message_id))["secrets"][0]["value"] is None


async def test_when_an_expired_request_is_answered_then_consent_already_decided(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    _, request = await send_sensitive(chat.customer, CARD_TEXT)
    move_clock(client, datetime.now(UTC), timedelta(days=2))
    assert await sweep_expired(services_of(client)) == 1
    await chat.customer.expect("consent.recorded", reason="expired")

    await answer(chat.customer, request["request_id"], granted=True)
    error = await chat.customer.expect("error", ref=request["request_id"])
    assert error["code"] == "consent_already_decided"
    assert [e["decision"] for e in (await ledger(client, "cust-1"))["ledger"]] == ["expired"]


async def test_when_two_tabs_answer_at_once_then_one_decision_is_recorded(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    other_tab = await connect(client, "customer", "cust-1")
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT)

    await asyncio.gather(
        answer(chat.customer, request["request_id"], granted=True),
        answer(other_tab, request["request_id"], granted=False),
    )
    recorded = await chat.customer.expect("consent.recorded", request_id=request["request_id"])
    errors = []
    for tab in (chat.customer, other_tab):
        with contextlib.suppress(AssertionError):  # the tab whose answer came first: none
            errors.append(await tab.expect("error", timeout=1.0, ref=request["request_id"]))
    assert [e["code"] for e in errors] == ["consent_already_decided"]
    entries = (await ledger(client, "cust-1"))["ledger"]
    assert [e["decision"] for e in entries] == ["granted" if recorded["granted"] else "refused"]
    doc = await raw_message(client, message_id)
    assert doc["consent"] == ("granted" if recorded["granted"] else "refused")


async def test_when_an_agent_sends_consent_respond_then_nothing_is_decided(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT)
    for role, sub in (("agent", "agent-1"), ("supervisor", "sup-1"), ("privacy_officer", "po-1")):
        peer = chat.agent if sub == "agent-1" else await connect(client, role, sub)
        await answer(peer, request["request_id"], granted=True)
        error = await peer.expect("error", ref=request["request_id"])
        assert error["code"] == "consent_request_not_found", role
    await chat.agent.expect_nothing("message.updated")
    await _untouched(client, request["request_id"], message_id, chat.customer)


async def test_when_consent_frames_are_malformed_then_invalid_field_and_no_effect(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT)
    rid = request["request_id"]
    bad: list[dict[str, Any]] = [
        {"type": "consent.respond", "request_id": rid, "granted": "yes"},
        {"type": "consent.respond", "request_id": rid, "granted": 1},
        {"type": "consent.respond", "request_id": rid, "granted": None},
        {"type": "consent.respond", "request_id": rid},
        {"type": "consent.respond", "granted": True},
        {"type": "consent.respond", "request_id": rid, "granted": True, "admin": True},
        {"type": "consent.respond", "request_id": [rid], "granted": True},
        {"type": "consent.respond", "request_id": rid, "granted": True, "guardian": "mum"},
        {"type": "consent.respond", "request_id": rid, "granted": True, "guardian": {}},
        {"type": "consent.withdraw", "categories": []},
        {"type": "consent.withdraw", "categories": "financial"},
        {"type": "consent.withdraw", "categories": ["financial"], "everything": True},
    ]
    for frame in bad:
        await chat.customer.send(frame)
        error = await chat.customer.expect("error")
        assert error["code"] == "invalid_field", frame
    await chat.customer.send({"type": "ping"})
    await chat.customer.expect("pong")
    await chat.agent.expect_nothing("message.updated")
    await _untouched(client, rid, message_id, chat.customer)


async def test_when_withdrawal_names_unknown_categories_then_bad_request_and_no_entry(
    client: Client,
) -> None:
    customer = await connect(client, "customer", "cust-1")
    await customer.send({"type": "consent.withdraw", "categories": ["contact"]})
    error = await customer.expect("error")
    assert error["code"] == "bad_request"
    await customer.send(
        {"type": "consent.withdraw", "categories": ["financial"], "purpose": "marketing"}
    )
    error = await customer.expect("error")
    assert error["code"] == "bad_request"
    assert (await ledger(client, "cust-1"))["ledger"] == []


async def test_when_others_try_to_withdraw_a_customers_consent_then_they_are_refused(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    message_id, request = await send_sensitive(chat.customer, CARD_TEXT)
    await answer(chat.customer, request["request_id"], granted=True)
    await chat.customer.expect("consent.recorded", granted=True)

    await chat.agent.send({"type": "consent.withdraw", "categories": ["financial"]})
    error = await chat.agent.expect("error")
    assert error["code"] == "forbidden"
    url = "/api/privacy/customers/cust-1/consents/withdrawal"
    for role, sub in (("customer", "cust-2"), ("agent", "agent-1"), ("supervisor", "sup-1")):
        response = await client.post(
            url, json={"categories": ["financial"]}, headers=headers(client, role, sub)
        )
        assert response.status == 403, (role, sub)
    assert (await client.post(url, json={"categories": ["financial"]})).status == 401
    malformed: list[object] = [{"categories": "financial"}, {"categories": []}, {"what": 1}, [1]]
    for body in malformed:
        response = await client.post(url, json=body, headers=headers(client, "customer", "cust-1"))
        assert response.status == 400, body

    doc = await raw_message(client, message_id)
    assert [s["state"] for s in doc["secrets"]] == ["kept"]
    assert [e["decision"] for e in (await ledger(client, "cust-1"))["ledger"]] == ["granted"]


async def test_when_a_message_joins_a_request_while_it_is_answered_then_it_is_decided_too(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = await assigned_chat(client)
    other_tab = await connect(client, "customer", "cust-1")
    first, request = await send_sensitive(chat.customer, CARD_TEXT)
    requests = services_of(client).store.consent_requests
    read, attached = asyncio.Event(), asyncio.Event()
    get, attach, decide = requests.get, requests.attach_message, requests.decide

    async def get_then_signal(request_id: str) -> ConsentRequestDoc | None:
        found = await get(request_id)
        read.set()
        return found

    async def attach_then_signal(request: ConsentRequestDoc, message_id: str) -> bool:
        joined = await attach(request, message_id)
        attached.set()
        return joined

    async def decide_after_attach(*args: Any) -> ConsentRequestDoc | None:
        await attached.wait()
        return await decide(*args)

    monkeypatch.setattr(requests, "get", get_then_signal)
    monkeypatch.setattr(requests, "attach_message", attach_then_signal)
    monkeypatch.setattr(requests, "decide", decide_after_attach)

    # The answer is read from the store, then a second card joins the open request from
    # another tab before the decision is written.
    await answer(chat.customer, request["request_id"], granted=True)
    await read.wait()
    client_id = await other_tab.send_text(f"Or use {OTHER_CARD}")
    second = (await other_tab.expect("message.ack", client_id=client_id))["message_id"]
    await chat.customer.expect("consent.recorded", granted=True)

    assert (await raw_request(client, request["request_id"]))["message_ids"] == [first, second]
    updated = await chat.agent.expect_message("message.updated", id=second)
    assert updated["text"] == f"Or use {OTHER_CARD}"
    assert [s["state"] for s in (await raw_message(client, second))["secrets"]] == ["kept"]
    [entry] = (await ledger(client, "cust-1"))["ledger"]
    assert entry["evidence"]["message_ids"] == [first, second]


async def test_when_a_request_is_answered_just_before_a_message_joins_it_then_it_is_asked_anew(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = await assigned_chat(client)
    other_tab = await connect(client, "customer", "cust-1")
    _, request = await send_sensitive(chat.customer, CARD_TEXT)
    requests = services_of(client).store.consent_requests
    looked, decided = asyncio.Event(), asyncio.Event()
    pending_for, decide = requests.pending_for, requests.decide

    async def pending_for_then_wait(*args: Any, **kwargs: Any) -> list[ConsentRequestDoc]:
        found = await pending_for(*args, **kwargs)
        looked.set()
        await decided.wait()
        return found

    async def decide_then_signal(*args: Any) -> ConsentRequestDoc | None:
        outcome = await decide(*args)
        decided.set()
        return outcome

    monkeypatch.setattr(requests, "pending_for", pending_for_then_wait)
    monkeypatch.setattr(requests, "decide", decide_then_signal)

    # The second card finds the request open; the other tab answers it before the card
    # is attached. The card must not stay pending with no request to answer or expire.
    client_id = await chat.customer.send_text(f"Or use {OTHER_CARD}")
    second = (await chat.customer.expect("message.ack", client_id=client_id))["message_id"]
    await looked.wait()
    await answer(other_tab, request["request_id"], granted=False)
    await chat.customer.expect("consent.recorded", request_id=request["request_id"])

    asked = await chat.customer.expect("consent.request", message_id=second)
    assert asked["request_id"] != request["request_id"]
    assert (await raw_request(client, asked["request_id"]))["message_ids"] == [second]
    assert [s["state"] for s in (await raw_message(client, second))["secrets"]] == ["pending"]
