# Chinese punctuation is the data here, on purpose.
# ruff: noqa: RUF001
"""Saved replies edited by supervisors (issue 20 item 4; docs/agent-speed.md): stored
through the storage layer (config/replies.toml seeds them once), both languages required,
shortcut unique, lengths bounded, every change recorded with who and when, announced live
to agents' sockets; agents may read but not edit."""

from __future__ import annotations

from typing import Any

import pytest

from chat_service.storage.replies import ReplyDoc, ReplyStore
from chat_service.web.replies import MAX_REPLIES
from tests.helpers.consent import headers, raw_db
from tests.helpers.ws import Client, connect

NEW_REPLY: dict[str, Any] = {
    "key": "refund-time",
    "title": {"en": "Refund time", "zh": "退款时间"},
    "text": {
        "en": "Refunds reach your card within 5 working days, {name}.",
        "zh": "{name}，退款将在5个工作日内退回您的银行卡。",
    },
}


async def replies(client: Client, role: str = "agent") -> dict[str, Any]:
    response = await client.get("/api/replies", headers=headers(client, role, f"{role}-1"))
    assert response.status == 200
    return {r["key"]: r for r in (await response.json())["replies"]}


async def test_when_a_supervisor_adds_changes_and_deletes_a_reply_then_agents_see_each_live(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    sup = headers(client, "supervisor", "sup-1")

    response = await client.post("/api/replies", json=NEW_REPLY, headers=sup)
    assert response.status == 201, await response.text()
    assert (await response.json())["reply"] == NEW_REPLY
    changed = await agent.expect("replies.changed")
    assert (changed["key"], changed["action"], changed["by"]) == ("refund-time", "create", "sup-1")
    listed = await replies(client)
    assert listed["refund-time"] == NEW_REPLY
    assert "greeting" in listed  # the shop's defaults from config/replies.toml stay

    wording = {"title": NEW_REPLY["title"], "text": {**NEW_REPLY["text"], "en": "Soon, {name}."}}
    response = await client.put("/api/replies/refund-time", json=wording, headers=sup)
    assert response.status == 200, await response.text()
    assert (await agent.expect("replies.changed"))["action"] == "update"
    assert (await replies(client))["refund-time"]["text"]["en"] == "Soon, {name}."

    response = await client.delete("/api/replies/greeting", headers=sup)
    assert response.status == 200
    assert (await agent.expect("replies.changed"))["action"] == "delete"
    assert "greeting" not in await replies(client)

    response = await client.get("/api/replies/changes", headers=sup)
    assert response.status == 200
    changes = (await response.json())["changes"]
    assert [(c["action"], c["key"], c["by"]) for c in changes] == [
        ("delete", "greeting", "sup-1"),
        ("update", "refund-time", "sup-1"),
        ("create", "refund-time", "sup-1"),
    ]
    assert all(c["at"] for c in changes)


async def test_when_the_service_starts_again_then_a_deleted_default_stays_deleted(
    client: Client,
) -> None:
    sup = headers(client, "supervisor", "sup-1")
    assert (await client.delete("/api/replies/greeting", headers=sup)).status == 200
    db = raw_db(client)
    # another start (or instance): a new store on the same collections, seeded as at start
    again = ReplyStore(db["saved_replies"], db["saved_reply_changes"], MAX_REPLIES)
    default: ReplyDoc = {
        "_id": "greeting",
        "title": {"en": "Greeting", "zh": "问候"},
        "text": {"en": "Hello", "zh": "您好"},
        "updated_at": None,
        "updated_by": None,
    }
    await again.seed([default])
    assert "greeting" not in [doc["_id"] for doc in await again.all()]
    assert "greeting" not in await replies(client)


async def test_when_an_agent_tries_to_edit_then_403(client: Client) -> None:
    agent = headers(client, "agent", "agent-1")
    assert (await client.post("/api/replies", json=NEW_REPLY, headers=agent)).status == 403
    wording = {"title": NEW_REPLY["title"], "text": NEW_REPLY["text"]}
    assert (await client.put("/api/replies/greeting", json=wording, headers=agent)).status == 403
    assert (await client.delete("/api/replies/greeting", headers=agent)).status == 403
    assert (await client.get("/api/replies/changes", headers=agent)).status == 403
    customer = headers(client, "customer", "cust-1")
    assert (await client.post("/api/replies", json=NEW_REPLY, headers=customer)).status == 403
    assert (await client.post("/api/replies", json=NEW_REPLY)).status == 401
    assert "refund-time" not in await replies(client)


async def test_when_the_shortcut_is_taken_then_409_and_the_reply_is_unchanged(
    client: Client,
) -> None:
    sup = headers(client, "supervisor", "sup-1")
    taken = {**NEW_REPLY, "key": "greeting"}
    response = await client.post("/api/replies", json=taken, headers=sup)
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "reply_key_taken"
    assert (await replies(client))["greeting"]["title"] == {"en": "Greeting", "zh": "问候"}


BAD_REPLIES: dict[str, dict[str, Any]] = {
    "no Chinese text": {**NEW_REPLY, "text": {"en": "Hello"}},
    "empty English title": {**NEW_REPLY, "title": {"en": "", "zh": "退款"}},
    "title too long": {**NEW_REPLY, "title": {"en": "x" * 81, "zh": "退款"}},
    "text too long": {**NEW_REPLY, "text": {"en": "x" * 2001, "zh": "退款"}},
    "unknown placeholder": {**NEW_REPLY, "text": {"en": "{order} ok", "zh": "好"}},
    "shortcut with a space": {**NEW_REPLY, "key": "refund time"},
    "shortcut in capitals": {**NEW_REPLY, "key": "Refund"},
    "unknown field": {**NEW_REPLY, "html": "<b>x</b>"},
}


@pytest.mark.parametrize("body", BAD_REPLIES.values(), ids=BAD_REPLIES.keys())
async def test_when_a_reply_is_malformed_then_400_and_nothing_is_stored(
    client: Client, body: dict[str, Any]
) -> None:
    sup = headers(client, "supervisor", "sup-1")
    response = await client.post("/api/replies", json=body, headers=sup)
    assert response.status == 400
    assert set(await replies(client)) == {"greeting", "order-status", "no-card", "goodbye"}


async def test_when_an_unknown_reply_is_changed_or_deleted_then_404(client: Client) -> None:
    sup = headers(client, "supervisor", "sup-1")
    wording = {"title": NEW_REPLY["title"], "text": NEW_REPLY["text"]}
    assert (await client.put("/api/replies/nope", json=wording, headers=sup)).status == 404
    assert (await client.delete("/api/replies/nope", headers=sup)).status == 404
    assert (await client.delete("/api/replies/%23seeded", headers=sup)).status == 404
