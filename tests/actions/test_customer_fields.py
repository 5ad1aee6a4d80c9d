"""The customer's display name and shop fields: token claims `name` and `profile`, kept
with their conversation, shown to staff as plain strings (docs/inbox.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from chat_service import keys
from chat_service.auth import Role
from chat_service.privacy.deletion import process_due
from tests.helpers.consent import services_of
from tests.helpers.rights import docs, dump_text, file_deletion, notifier_for
from tests.helpers.ws import Client, Peer, connect, token_for

MARKUP_NAME = '<img src=x onerror="alert(1)">Zhang'


def customer_token(client: Client, sub: str, **claims: Any) -> str:
    return client.app[keys.TOKENS].issue(Role.CUSTOMER, sub, extra=claims)


async def connect_customer(client: Client, sub: str, **claims: Any) -> Peer:
    ws = await client.ws_connect(f"/ws?token={customer_token(client, sub, **claims)}")
    peer = Peer(ws, "customer", sub)
    await peer.expect("hello")
    return peer


async def listing(client: Client, role: str, sub: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/conversations", headers={"Authorization": "Bearer " + token_for(client, role, sub)}
    )
    assert response.status == 200
    conversations: list[dict[str, Any]] = (await response.json())["conversations"]
    return conversations


async def test_when_a_customer_token_names_them_then_staff_see_the_name_and_shop_fields(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect_customer(
        client, "cust-named", name=MARKUP_NAME, profile={"order": "A-1001", "tier": "gold"}
    )
    await customer.send_text("where is my parcel?")
    opened = (await agent.expect("conversation.opened"))["conversation"]
    assert opened["customer_name"] == MARKUP_NAME  # as the shop sent it: pages render text
    assert opened["customer_profile"] == {"order": "A-1001", "tier": "gold"}

    [row] = [c for c in await listing(client, "agent", "agent-1") if c["id"] == opened["id"]]
    assert (row["customer_name"], row["customer_profile"]) == (
        MARKUP_NAME,
        {"order": "A-1001", "tier": "gold"},
    )


async def test_when_a_newer_token_renames_the_customer_then_the_open_conversation_follows(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    first = await connect_customer(client, "cust-renamed", name="Li Lei")
    await first.send_text("hello")
    opened = (await agent.expect("conversation.opened"))["conversation"]
    await first.close()

    second = await connect_customer(
        client, "cust-renamed", name="Li Lei (VIP)", profile={"order": "B-7"}
    )
    client_id = await second.send_text("still there?")
    await second.expect("message.ack", client_id=client_id)
    [row] = [c for c in await listing(client, "supervisor", "sup-1") if c["id"] == opened["id"]]
    assert (row["customer_name"], row["customer_profile"]) == ("Li Lei (VIP)", {"order": "B-7"})


async def test_when_a_token_has_no_name_then_the_conversation_shape_still_has_the_keys(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-plain")
    await customer.send_text("hi")
    opened = (await agent.expect("conversation.opened"))["conversation"]
    assert opened["customer_name"] is None
    assert opened["customer_profile"] == {}


BAD_CLAIMS: dict[str, dict[str, Any]] = {
    "name not a string": {"name": {"first": "x"}},
    "empty name": {"name": ""},
    "name too long": {"name": "x" * 81},
    "name with a line break": {"name": "Zhang\nSan"},
    "name with a bidi override": {"name": "Zhang\u202esan"},
    "profile not an object": {"profile": ["A-1001"]},
    "profile value not a string": {"profile": {"order": 1001}},
    "profile value an object": {"profile": {"order": {"$gt": ""}}},
    "profile key with markup": {"profile": {"<b>order</b>": "A-1"}},
    "too many profile fields": {"profile": {f"k{i}": "v" for i in range(13)}},
    "profile value too long": {"profile": {"note": "x" * 121}},
}


@pytest.mark.parametrize("claims", BAD_CLAIMS.values(), ids=BAD_CLAIMS.keys())
async def test_when_token_customer_fields_are_malformed_then_the_token_is_refused(
    client: Client, claims: dict[str, Any]
) -> None:
    token = customer_token(client, "cust-bad", **claims)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(f"/ws?token={token}")
    assert refused.value.status == 401


async def test_when_a_named_customer_exports_then_deletes_then_name_and_fields_go_with_the_data(
    client: Client, tmp_path: Path
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect_customer(
        client, "cust-rights", name="Wang Fang", profile={"order": "C-42"}
    )
    await customer.send_text("please forget me")
    conversation_id = (await agent.expect("conversation.opened"))["conversation"]["id"]
    await customer.close()

    response = await client.get(
        "/api/privacy/customers/cust-rights/export",
        headers={"Authorization": "Bearer " + token_for(client, "customer", "cust-rights")},
    )
    assert response.status == 200
    export = await response.json()
    assert export["profile"]["customer_name"] == "Wang Fang"
    assert export["profile"]["customer_profile"] == {"order": "C-42"}
    [conversation] = export["conversations"]
    assert conversation["customer_name"] == "Wang Fang"

    status, _ = await file_deletion(client, "cust-rights")
    assert status == 201
    [done] = await process_due(services_of(client), notifier=await notifier_for(client, tmp_path))
    assert done["status"] == "completed"
    assert await docs(client, "conversations", _id=conversation_id) == []
    for collection in ("conversations", "audit", "deletion_requests", "anonymised_conversations"):
        text = await dump_text(client, collection)
        assert "Wang Fang" not in text and "C-42" not in text, collection
