"""Pictures and files follow the customer's rights and the retention rules (issue 7 item 5):
deletion requests take them with their conversations (held ones stay), retention removes
them with the messages and conversations it removes, uploads never sent expire, the
kept-values rule destroys a kept original, and the export carries each attachment with the
bytes the customer may download. Real server, store and detection pool; the retention job
is run directly with its clock (`now`) moved forward, as tests/privacy/test_retention.py does.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from chat_service.auth import Identity, Role
from chat_service.privacy.deletion import process_due
from chat_service.privacy.export import export_customer
from chat_service.privacy.retention import RetentionConfig, load_retention_config, run_retention
from chat_service.settings import Settings
from tests.attachments.test_attachments import with_limits
from tests.conftest import AppFactory
from tests.helpers.attachments import (
    CARD_FILE,
    TEXT_BODY,
    black_at,
    download,
    leftovers,
    picture,
    send_attachment,
    text_picture,
    upload,
    uploaded,
)
from tests.helpers.consent import (
    CARD,
    Chat,
    answer,
    assigned_chat,
    connect_minor,
    headers,
    move_clock,
    raw_message,
    services_of,
)
from tests.helpers.rights import docs, file_deletion, notifier_for, set_hold
from tests.helpers.ws import Client

REPO = Path(__file__).resolve().parents[2]
CUSTOMER = "cust-life"


@pytest.fixture
def config() -> RetentionConfig:
    loaded = load_retention_config(REPO / "config")
    return loaded.model_copy(update={"pause_between_batches_secs": 0.0})


def later(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


async def sent(
    client: Client, chat: Chat, data: bytes, name: str, content_type: str, kind: str
) -> str:
    """Upload as the chat's customer and send it in a message: the attachment id."""
    body = await uploaded(
        client, data, name, content_type, chat.conversation_id, sub=chat.customer.sub
    )
    client_id = await send_attachment(chat.customer, body["id"], kind)
    await chat.customer.expect("message.ack", client_id=client_id)
    return str(body["id"])


async def close(chat: Chat) -> None:
    await chat.agent.send({"type": "conversation.close", "conversation_id": chat.conversation_id})
    await chat.customer.expect("conversation.closed")
    await chat.customer.ws.close()
    await chat.agent.ws.close()


async def ids(client: Client) -> set[str]:
    return {d["_id"] for d in await docs(client, "attachments")}


# -- deletion requests ---------------------------------------------------------------------


async def test_when_a_deletion_is_carried_out_then_attachments_and_blobs_go_but_held_ones_stay(
    client: Client, tmp_path: Path
) -> None:
    services = services_of(client)
    first = await assigned_chat(client, customer_sub=CUSTOMER)
    held_file = await sent(client, first, TEXT_BODY.encode(), "order.txt", "text/plain", "file")
    await close(first)
    second = await assigned_chat(client, customer_sub=CUSTOMER, agent_sub="agent-2")
    gone_picture = await sent(
        client, second, picture("PNG", (60, 40)), "parcel.png", "image/png", "image"
    )
    status, unsent = await upload(
        client, TEXT_BODY.encode(), "later.txt", "text/plain", sub=CUSTOMER
    )
    assert status == 201
    status, others = await upload(
        client, TEXT_BODY.encode(), "mine.txt", "text/plain", sub="cust-x"
    )
    assert status == 201
    assert (await leftovers(client))["files"] == 4
    await set_hold(client, f"/api/conversations/{first.conversation_id}", hold=True, reason="claim")
    notifier = await notifier_for(client, tmp_path)

    await file_deletion(client, CUSTOMER)
    [partial] = await process_due(services, notifier=notifier)

    assert partial["status"] == "partially_completed"
    assert partial["deleted"]["attachments"] == 2  # the sent picture and the unsent file
    assert await ids(client) == {held_file, others["id"]}
    assert (await leftovers(client))["files"] == 2  # their blobs went with them
    assert gone_picture not in await ids(client) and unsent["id"] not in await ids(client)

    await set_hold(client, f"/api/conversations/{first.conversation_id}", hold=False, reason="ok")
    [done] = await process_due(services, notifier=notifier)

    assert done["status"] == "completed"
    assert done["deleted"]["attachments"] == 3
    assert await ids(client) == {others["id"]}  # another customer's upload is untouched
    left = await leftovers(client)
    assert (left["attachments"], left["files"]) == (1, 1)


# -- retention -----------------------------------------------------------------------------


async def test_when_a_conversation_expires_then_its_attachments_go_unless_held(
    client: Client, config: RetentionConfig
) -> None:
    services = services_of(client)
    expiring = await assigned_chat(client, customer_sub="cust-ret-a")
    picture_id = await sent(
        client, expiring, picture("PNG", (60, 40)), "a.png", "image/png", "image"
    )
    await close(expiring)
    held = await assigned_chat(client, customer_sub="cust-ret-b", agent_sub="agent-2")
    held_id = await sent(client, held, TEXT_BODY.encode(), "b.txt", "text/plain", "file")
    await close(held)
    await set_hold(client, f"/api/conversations/{held.conversation_id}", hold=True, reason="case")
    now = later(1098)  # past transaction_records' 1097 days

    dry = await run_retention(services, config, now=now, dry_run=True, holder="test")
    assert await ids(client) == {picture_id, held_id}  # a dry run changes nothing
    real = await run_retention(services, config, now=now, dry_run=False, holder="test")

    assert real.ok, real.errors
    rule = real.to_json()["rules"]["transaction_records"]
    assert (rule["count"], rule["attachments"], rule["held_skipped"]) == (1, 1, 1)
    assert dry.to_json()["rules"]["transaction_records"] == rule
    assert await ids(client) == {held_id}
    assert (await leftovers(client))["files"] == 1
    assert not await services.cipher.has_key("cust-ret-a")  # nothing of theirs left


async def test_when_a_childs_refused_message_is_deleted_then_its_picture_goes_with_it(
    client: Client, config: RetentionConfig
) -> None:
    kid = await connect_minor(client, "kid-1", age=12)
    chat = await assigned_chat(client, customer=kid)
    body = await uploaded(
        client,
        text_picture(f"Card {CARD}"),
        "card.png",
        "image/png",
        chat.conversation_id,
        sub="kid-1",
    )
    client_id = await send_attachment(kid, body["id"], "image")
    ack = await kid.expect("message.ack", client_id=client_id)
    request = await kid.expect("consent.request", message_id=ack["message_id"])
    assert "minor" in request["categories"]
    await answer(kid, request["request_id"], granted=False)
    await kid.expect("consent.recorded")
    doc = await services_of(client).store.attachments.get(body["id"])
    assert doc is not None and doc["original"] is None and doc["redacted"] is not None

    summary = await run_retention(
        services_of(client), config, now=later(0.01), dry_run=False, holder="test"
    )

    assert summary.ok, summary.errors
    rule = summary.to_json()["rules"]["child_without_guardian"]
    assert (rule["count"], rule["attachments"]) == (1, 1)
    assert await docs(client, "messages", _id=ack["message_id"]) == []
    assert body["id"] not in await ids(client)
    assert (await leftovers(client))["files"] == 0  # the redacted copy went too


async def test_when_an_upload_is_never_sent_then_it_expires_after_the_configured_hours(
    client: Client, config: RetentionConfig
) -> None:
    services = services_of(client)
    start = datetime.now(UTC)
    move_clock(client, start, timedelta(days=-2))
    _, old = await upload(client, TEXT_BODY.encode(), "old.txt", "text/plain", sub="cust-u")
    chat = await assigned_chat(client, customer_sub="cust-h")
    _, held = await upload(
        client,
        TEXT_BODY.encode(),
        "held.txt",
        "text/plain",
        sub="cust-h",
        conversation_id=chat.conversation_id,
    )
    old_sent = await sent(client, chat, TEXT_BODY.encode(), "sent.txt", "text/plain", "file")
    move_clock(client, start, timedelta(0))
    _, fresh = await upload(client, TEXT_BODY.encode(), "new.txt", "text/plain", sub="cust-u")
    await set_hold(client, f"/api/conversations/{chat.conversation_id}", hold=True, reason="case")
    hours = services.settings.attachments.unsent_retention_hours
    assert hours == 1  # issue 16: an upload never sent goes after an hour

    dry = await run_retention(services, config, now=start, dry_run=True, holder="test")
    real = await run_retention(services, config, now=start, dry_run=False, holder="test")

    assert real.ok, real.errors
    step = real.to_json()["unsent_attachments"]
    assert (step["count"], step["held_skipped"], step["errors"]) == (1, 1, 0)
    assert step["period_hours"] == hours
    assert dry.to_json()["unsent_attachments"] == step
    assert real.totals()["delete"] >= 1
    assert await ids(client) == {held["id"], old_sent, fresh["id"]}
    assert (await leftovers(client))["files"] == 3
    record = await services.store.retention.run(str(real.run_id))
    assert record is not None and record["unsent_attachments"]["count"] == 1
    audit = await docs(client, "audit", action="retention_deleted", customer_id="cust-u")
    assert [a["details"] for a in audit] == [{"unsent_attachments": 1}]
    report = await client.get(
        "/api/privacy/report", headers=headers(client, "privacy_officer", "po-1")
    )
    retention = (await report.json())["retention"]
    assert retention["purged_by_rule"]["unsent_attachments"]["done"] == 1
    assert retention["recent"][0]["unsent_attachments"]["count"] == 1
    # One claimed by the job can no longer be sent (a send racing the deletion).
    store = services.store.attachments
    assert await store.claim_unsent(fresh["id"], start)
    assert await store.bind(fresh["id"], "conv-x", "msg-x") is None
    assert old["id"] not in await ids(client)


async def test_when_kept_values_expire_then_a_kept_pictures_original_is_destroyed(
    client: Client, config: RetentionConfig
) -> None:
    chat = await assigned_chat(client, customer_sub="cust-1")
    body = await uploaded(
        client, text_picture(f"Card {CARD}"), "card.png", "image/png", chat.conversation_id
    )
    client_id = await send_attachment(chat.customer, body["id"], "image")
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    request = await chat.customer.expect("consent.request", message_id=ack["message_id"])
    await answer(chat.customer, request["request_id"], granted=True)
    await chat.agent.expect_message("message.updated", id=ack["message_id"])
    await close(chat)
    assert (await leftovers(client))["files"] == 2

    summary = await run_retention(
        services_of(client), config, now=later(31), dry_run=False, holder="test"
    )

    assert summary.ok, summary.errors
    assert summary.rules["consented_sensitive_values"].count == 1
    doc = await services_of(client).store.attachments.get(body["id"])
    assert doc is not None and doc["original"] is None  # destroyed, its blob with it
    assert doc["redacted"] is not None  # the redacted copy stays, as a text mask does
    assert (await leftovers(client))["files"] == 1
    secret = (await raw_message(client, ack["message_id"]))["secrets"][0]
    assert (secret["field"], secret["state"], secret["value"]) == ("attachment", "destroyed", None)
    assert (await download(client, body["id"])).status == 200  # the customer: redacted now


# -- export --------------------------------------------------------------------------------


def content_of(entry: dict[str, Any]) -> bytes:
    assert entry["content"] is not None, entry
    return base64.b64decode(entry["content"]["data"])


async def test_when_a_customer_exports_then_attachments_come_as_they_download_them(
    client: Client,
) -> None:
    chat = await assigned_chat(client, customer_sub="cust-1")
    plain = await sent(client, chat, picture("PNG", (60, 40)), "parcel.png", "image/png", "image")
    await chat.agent.expect_message(seq=2)
    refused = await uploaded(client, CARD_FILE, "refund.txt", "text/plain", chat.conversation_id)
    client_id = await send_attachment(chat.customer, refused["id"], "file")
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    request = await chat.customer.expect("consent.request", message_id=ack["message_id"])
    await answer(chat.customer, request["request_id"], granted=False)
    await chat.agent.expect_message("message.updated", id=ack["message_id"])
    agents = await uploaded(
        client,
        text_picture(f"Card {CARD}"),
        "card.png",
        "image/png",
        chat.conversation_id,
        role="agent",
        sub="agent-1",
    )
    agent_client_id = await send_attachment(
        chat.agent, agents["id"], "image", conversation_id=chat.conversation_id
    )
    await chat.agent.expect("message.ack", client_id=agent_client_id)
    _, unsent = await upload(client, TEXT_BODY.encode(), "later.txt", "text/plain")

    response = await client.get(
        "/api/privacy/customers/cust-1/export", headers=headers(client, "customer", "cust-1")
    )
    assert response.status == 200
    export: dict[str, Any] = await response.json()

    assert export["counts"]["attachments"] == 4
    by_id = {a["id"]: a for a in export["attachments"]}
    assert list(by_id) == [plain, refused["id"], agents["id"], unsent["id"]]  # oldest first
    shown = by_id[plain]
    assert content_of(shown) == await (await download(client, plain)).read()
    assert shown["content"]["rendition"] == "original"
    assert shown["renditions"] == {"original": True, "redacted": False}
    assert shown["conversation_id"] == chat.conversation_id and shown["message_id"]
    assert (shown["kind"], shown["name"], shown["status"]) == ("image", "parcel.png", "ready")
    destroyed = by_id[refused["id"]]
    assert destroyed["content"] is None and destroyed["content_note"] == "attachment_gone"
    assert destroyed["renditions"] == {"original": False, "redacted": False}
    assert destroyed["findings"] and "4111" not in str(destroyed)
    redacted = by_id[agents["id"]]
    assert redacted["content"]["rendition"] == "redacted"
    data = content_of(redacted)
    assert data == await (await download(client, agents["id"])).read()
    box = next(f for f in agents["findings"] if f["entity_type"] == "CREDIT_CARD")["boxes"][0]
    assert black_at(data, box)  # not the original
    assert content_of(by_id[unsent["id"]]) == TEXT_BODY.encode()
    assert "[binary]" not in str(export["attachments"])
    [audit] = await docs(client, "audit", action="export")
    assert audit["details"]["counts"]["attachments"] == 4


async def test_when_the_contents_pass_the_cap_then_only_metadata_is_listed_with_a_note(
    client: Client,
) -> None:
    _, first = await upload(client, TEXT_BODY.encode(), "a.txt", "text/plain")
    _, second = await upload(client, TEXT_BODY.encode(), "b.txt", "text/plain")
    services = services_of(client)
    cap = len(TEXT_BODY.encode())  # room for one of the two
    capped = dataclasses.replace(
        services, settings=with_limits(services.settings, export_max_content_bytes=cap)
    )

    export = await export_customer(capped, "cust-1", Identity(Role.CUSTOMER, "cust-1"), "test")

    [one, two] = export["attachments"]
    assert content_of(one) == TEXT_BODY.encode()
    assert two["content"] is None and two["content_note"] == "export_size_cap"
    assert two["id"] == second["id"] and one["id"] == first["id"]
    assert f"at most {cap} bytes" in export["attachments_note"]


# -- temporary files -----------------------------------------------------------------------


async def test_when_the_server_starts_then_stale_temporary_uploads_are_deleted(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings, tmp_path: Path
) -> None:
    tmp = tmp_path / "tmp"
    stale_secs = settings.attachments.stale_upload_secs

    def leave_files() -> None:
        tmp.mkdir(mode=0o700)
        for name in ("upload-killed", "upload-live", "other-file"):
            (tmp / name).write_bytes(b"partial upload")
        past = time.time() - stale_secs - 60
        os.utime(tmp / "upload-killed", (past, past))
        os.utime(tmp / "other-file", (past, past))

    await asyncio.to_thread(leave_files)

    await aiohttp_client(make_app(settings.with_overrides(data_dir=tmp_path)))

    left = await asyncio.to_thread(lambda: sorted(p.name for p in tmp.iterdir()))
    assert left == ["other-file", "upload-live"]  # only a killed upload's file, once stale
