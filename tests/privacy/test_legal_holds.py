"""Legal holds (policy 4.3) and who may call the data-rights endpoints, over the real server
and the real store: only privacy officers set, lift or list holds, every change is audited,
and the deletion endpoints answer the customer themself and privacy officers only."""

from __future__ import annotations

from typing import Any

from tests.helpers.consent import assigned_chat, audit_entries, headers, services_of
from tests.helpers.rights import docs, file_deletion, set_hold
from tests.helpers.ws import Client, connect, customer_opens

CUSTOMER = "cust-h"
CALLERS: list[tuple[str, str | None, str | None]] = [
    ("customer self", "customer", CUSTOMER),
    ("another customer", "customer", "cust-other"),
    ("agent", "agent", "agent-1"),
    ("supervisor", "supervisor", "sup-1"),
    ("privacy officer", "privacy_officer", "po-1"),
    ("no token", None, None),
]


async def test_when_an_officer_holds_and_lifts_a_conversation_then_each_change_is_recorded_and_audited(  # noqa: E501
    client: Client,
) -> None:
    chat = await assigned_chat(client, customer_sub=CUSTOMER)
    path = f"/api/conversations/{chat.conversation_id}"

    status, hold = await set_hold(client, path, hold=True, reason="dispute #41 (court order)")
    assert status == 201
    assert hold["id"].startswith("lh_")
    assert hold["scope"] == "conversation"
    assert hold["customer_id"] == CUSTOMER
    assert hold["conversation_id"] == chat.conversation_id
    assert hold["reason"] == "dispute #41 (court order)"
    assert hold["active"] is True
    assert hold["set_by"] == {"role": "privacy_officer", "id": "po-1"}
    assert hold["lifted_at"] is None and hold["lifted_by"] is None
    assert "active_key" not in hold

    again, same = await set_hold(client, path, hold=True, reason="another reason", sub="po-2")
    assert again == 200
    assert same["id"] == hold["id"]
    assert same["reason"] == "dispute #41 (court order)"

    listed = await client.get(
        "/api/privacy/legal-holds", headers=headers(client, "privacy_officer", "po-1")
    )
    assert listed.status == 200
    assert [h["id"] for h in (await listed.json())["legal_holds"]] == [hold["id"]]

    status, lifted = await set_hold(client, path, hold=False, reason="dispute settled", sub="po-2")
    assert status == 200
    assert lifted["id"] == hold["id"]
    assert lifted["active"] is False
    assert lifted["lifted_by"] == {"role": "privacy_officer", "id": "po-2"}
    assert lifted["lift_reason"] == "dispute settled"
    assert lifted["lifted_at"] is not None

    status, error = await set_hold(client, path, hold=False, reason="again")
    assert status == 404
    assert error["error"]["code"] == "no_active_hold"

    entries = await audit_entries(client, customer_id=CUSTOMER)
    changes = [e for e in entries if e["action"].startswith("legal_hold")]
    assert [(e["action"], e["actor"]["id"], e["reason"]) for e in changes] == [
        ("legal_hold_set", "po-1", "dispute #41 (court order)"),
        ("legal_hold_lifted", "po-2", "dispute settled"),
    ]
    assert all(e["details"]["hold_id"] == hold["id"] for e in changes)

    active = await client.get(
        "/api/privacy/legal-holds?active=false", headers=headers(client, "privacy_officer", "p")
    )
    assert [h["id"] for h in (await active.json())["legal_holds"]] == [hold["id"]]


async def test_when_a_customer_is_held_then_the_hold_covers_them_and_the_store_names_them_held(
    client: Client,
) -> None:
    status, hold = await set_hold(
        client, f"/api/privacy/customers/{CUSTOMER}", hold=True, reason="tax audit 2026"
    )
    assert status == 201
    assert hold["scope"] == "customer"
    assert hold["customer_id"] == CUSTOMER
    assert hold["conversation_id"] is None
    holds = services_of(client).store.legal_holds
    assert await holds.active_customer_ids() == {CUSTOMER}
    assert await holds.active_conversation_ids() == set()


async def test_when_the_hold_body_or_target_is_wrong_then_it_is_refused_with_a_json_error(
    client: Client,
) -> None:
    po = headers(client, "privacy_officer", "po-1")
    cases: list[tuple[str, Any, int, str]] = [
        (
            "/api/conversations/c_nope/legal-hold",
            {"hold": True, "reason": "x"},
            404,
            "conversation_not_found",
        ),
        (
            f"/api/privacy/customers/{CUSTOMER}/legal-hold",
            {"hold": True, "reason": "  "},
            400,
            "bad_request",
        ),
        (
            f"/api/privacy/customers/{CUSTOMER}/legal-hold",
            {"hold": "yes", "reason": "x"},
            400,
            "bad_request",
        ),
        (f"/api/privacy/customers/{CUSTOMER}/legal-hold", {"hold": True}, 400, "bad_request"),
        (
            f"/api/privacy/customers/{CUSTOMER}/legal-hold",
            {"hold": True, "reason": "x", "extra": 1},
            400,
            "bad_request",
        ),
        (f"/api/privacy/customers/{CUSTOMER}/legal-hold", [1, 2], 400, "bad_request"),
    ]
    for path, body, status, code in cases:
        response = await client.post(path, json=body, headers=po)
        assert response.status == status, (path, body)
        assert (await response.json())["error"]["code"] == code, (path, body)
    raw = await client.post(
        f"/api/privacy/customers/{CUSTOMER}/legal-hold", data=b"{not json", headers=po
    )
    assert raw.status == 400
    listed = await client.get("/api/privacy/legal-holds?active=maybe", headers=po)
    assert listed.status == 400
    assert await docs(client, "legal_holds") == []


async def test_when_each_role_calls_each_rights_endpoint_then_only_the_allowed_ones_succeed(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", CUSTOMER)
    conversation_id = await customer_opens(client, customer, agent, "Hello")
    hold_body = {"hold": True, "reason": "litigation hold"}
    endpoints: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
        (
            "POST",
            f"/api/privacy/customers/{CUSTOMER}/deletion-requests",
            None,
            {"customer self", "privacy officer"},
        ),
        (
            "GET",
            f"/api/privacy/customers/{CUSTOMER}/deletion-requests",
            None,
            {"customer self", "privacy officer"},
        ),
        (
            "POST",
            f"/api/conversations/{conversation_id}/legal-hold",
            hold_body,
            {"privacy officer"},
        ),
        ("POST", f"/api/privacy/customers/{CUSTOMER}/legal-hold", hold_body, {"privacy officer"}),
        ("GET", "/api/privacy/legal-holds", None, {"privacy officer"}),
    ]
    for method, path, body, allowed in endpoints:
        for name, role, sub in CALLERS:
            auth = headers(client, role, sub) if role is not None and sub is not None else {}
            response = await client.request(method, path, json=body, headers=auth)
            payload = await response.json()
            if name in allowed:
                assert response.status in (200, 201), (method, path, name, payload)
            elif role is None:
                assert response.status == 401, (method, path, name)
                assert payload["error"]["code"] == "unauthenticated"
            else:
                assert response.status == 403, (method, path, name)
                assert payload["error"]["code"] == "forbidden"
    # The refused calls changed nothing: one request, one hold per target, all by the officer.
    [request] = await docs(client, "deletion_requests")
    assert request["filed_by"] == {"role": "customer", "id": CUSTOMER}
    holds = await docs(client, "legal_holds")
    assert sorted(h["scope"] for h in holds) == ["conversation", "customer"]
    assert {h["set_by"]["role"] for h in holds} == {"privacy_officer"}
    status, _ = await file_deletion(client, CUSTOMER, "customer", "cust-other")
    assert status == 403
