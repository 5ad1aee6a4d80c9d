"""Per-customer resource limits (issue 16 item 7), over the real server and store: the cap
on conversations opened per hour, the daily upload quota (kept in the store, so it holds
across a restart), and exports streamed and taking turns."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from chat_service.auth import Identity, Role
from chat_service.privacy.export import export_customer
from chat_service.privacy.retention import RetentionConfig, load_retention_config, run_retention
from chat_service.resources import ResourceLimits
from chat_service.settings import Settings
from tests.attachments.test_attachments import with_limits
from tests.conftest import AppFactory
from tests.helpers.attachments import TEXT_BODY, picture, upload
from tests.helpers.consent import headers, move_clock, raw_db, services_of
from tests.helpers.settings import settings_with
from tests.helpers.ws import Client, connect

REPO = Path(__file__).resolve().parents[2]
EXPORT_URL = "/api/privacy/customers/{}/export"
FILE = TEXT_BODY.encode()


def limits_of(client: Client) -> ResourceLimits:
    limits = services_of(client).limits
    assert limits is not None
    return limits


# -- conversations opened per hour --------------------------------------------------------------


@pytest.fixture
async def two_conversations(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> Client:
    custom = settings_with(settings, limits={"conversations_per_hour": 2})
    return await aiohttp_client(make_app(custom))


async def test_when_a_customer_churns_conversations_then_past_the_cap_an_error_and_no_opened(
    two_conversations: Client,
) -> None:
    client = two_conversations
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-churn")
    for _ in range(2):
        sent = await customer.send_text("hello again")
        ack = await customer.expect("message.ack", client_id=sent)
        opened = await agent.expect("conversation.opened")
        assert opened["conversation"]["id"] == ack["conversation_id"]
        await customer.send(
            {"type": "conversation.close", "conversation_id": ack["conversation_id"]}
        )
        await customer.expect("conversation.closed", conversation_id=ack["conversation_id"])

    third = await customer.send_text("and again")
    error = await customer.expect("error", ref=third)
    assert error["code"] == "too_many_conversations"
    await customer.send({"type": "ping"})
    await customer.expect("pong")  # the frame was handled: nothing more comes of it
    await agent.expect_nothing("conversation.opened")
    assert await raw_db(client)["conversations"].count_documents({"customer_id": "cust-churn"}) == 2
    # Another customer is not affected.
    other = await connect(client, "customer", "cust-other")
    sent = await other.send_text("hi")
    await other.expect("message.ack", client_id=sent)
    await agent.expect("conversation.opened")


# -- daily upload quota -------------------------------------------------------------------------


def _quota_settings(settings: Settings) -> Settings:
    return with_limits(settings, daily_upload_bytes_per_customer=2 * len(FILE) + 10)


async def test_when_a_customer_passes_the_daily_upload_quota_then_429_and_it_survives_a_restart(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> None:
    custom = _quota_settings(settings)
    client = await aiohttp_client(make_app(custom))
    for name in ("a.txt", "b.txt"):
        status, body = await upload(client, FILE, name, "text/plain", sub="cust-q")
        assert status == 201, body
    refused_type, _ = await upload(client, b"\x00\x01binary", "c.txt", "text/plain", sub="cust-q")
    assert refused_type == 415  # refused uploads are given back: they stored nothing

    status, body = await upload(client, FILE, "c.txt", "text/plain", sub="cust-q")
    assert status == 429, body
    assert body["error"]["code"] == "upload_quota_exceeded"
    status, body = await upload(client, FILE, "d.txt", "text/plain", sub="cust-other")
    assert status == 201, body  # another customer has their own quota
    doc = await raw_db(client)["upload_quotas"].find_one({"customer_id": "cust-q"})
    assert doc is not None and doc["bytes"] == 2 * len(FILE)

    restarted = await aiohttp_client(make_app(custom))  # a new instance on the same store
    status, body = await upload(restarted, FILE, "e.txt", "text/plain", sub="cust-q")
    assert status == 429, body


# -- exports --------------------------------------------------------------------------------------


@pytest.fixture
async def impatient_exports(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> Client:
    custom = with_limits(settings, export_concurrency=1, export_wait_secs=0.05)
    return await aiohttp_client(make_app(custom))


async def _files(client: Client, customer: str) -> dict[str, bytes]:
    sent = {"note.txt": FILE, "photo.png": picture("PNG", (64, 48))}
    ids = {}
    for name, data in sent.items():
        status, body = await upload(
            client, data, name, "image/png" if name.endswith("png") else "text/plain", sub=customer
        )
        assert status == 201, body
        ids[body["id"]] = data
    return ids


async def test_when_an_export_is_streamed_then_it_is_chunked_and_the_same_document(
    impatient_exports: Client,
) -> None:
    client = impatient_exports
    ids = await _files(client, "cust-x")
    response = await client.get(
        EXPORT_URL.format("cust-x"), headers=headers(client, "customer", "cust-x")
    )
    assert response.status == 200
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in response.headers
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    streamed: dict[str, Any] = json.loads(await response.read())

    whole = await export_customer(
        services_of(client), "cust-x", Identity(Role.CUSTOMER, "cust-x"), "test"
    )
    assert set(streamed) == set(whole) and list(streamed) == list(whole)
    for key in whole:
        if key not in ("generated_at", "audit", "counts"):
            assert streamed[key] == whole[key], key
    contents = {a["id"]: base64.b64decode(a["content"]["data"]) for a in streamed["attachments"]}
    assert set(contents) == set(ids)
    for attachment_id, data in ids.items():  # the text as sent; the picture re-encoded
        assert contents[attachment_id] == data or contents[attachment_id].startswith(b"\x89PNG")


async def test_when_exports_exceed_their_turns_then_429_for_the_same_customer_503_for_others(
    impatient_exports: Client,
) -> None:
    client = impatient_exports
    gate = limits_of(client).exports
    async with gate.turn("cust-1"):  # an export of cust-1 in progress, the only turn
        same = await client.get(
            EXPORT_URL.format("cust-1"), headers=headers(client, "customer", "cust-1")
        )
        assert same.status == 429
        assert (await same.json())["error"]["code"] == "too_many_exports"
        other = await client.get(
            EXPORT_URL.format("cust-2"), headers=headers(client, "privacy_officer", "po-1")
        )
        assert other.status == 503
        assert (await other.json())["error"]["code"] == "server_busy"
        assert int(other.headers["Retry-After"]) >= 1
    assert gate.turns.in_use_bytes == 0 and gate.turns.waiting == 0
    again = await client.get(
        EXPORT_URL.format("cust-1"), headers=headers(client, "customer", "cust-1")
    )
    assert again.status == 200
    await again.read()


# -- uploads never sent -------------------------------------------------------------------------


@pytest.fixture
def retention_config() -> RetentionConfig:
    return load_retention_config(REPO / "config")


async def test_when_an_upload_is_never_sent_then_retention_deletes_it_after_an_hour(
    client: Client, retention_config: RetentionConfig
) -> None:
    services = services_of(client)
    config = retention_config
    start = datetime.now(UTC)
    move_clock(client, start, -timedelta(minutes=61))
    _, stale = await upload(client, FILE, "old.txt", "text/plain", sub="cust-u")
    move_clock(client, start, -timedelta(minutes=59))
    _, recent = await upload(client, FILE, "new.txt", "text/plain", sub="cust-u")

    summary = await run_retention(services, config, now=start, dry_run=False, holder="test")

    assert summary.ok, summary.errors
    assert summary.to_json()["unsent_attachments"]["count"] == 1
    kept = {d["_id"] async for d in raw_db(client)["attachments"].find({}, {"_id": 1})}
    assert kept == {recent["id"]}
    assert stale["id"] not in kept
