"""The embedded store: URI file, durability across a restart, crash and recovery."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.app import create_app
from chat_service.scanning import Scanner
from chat_service.settings import Settings
from chat_service.storage.db import PING_TIMEOUT_SECS
from tests.helpers.metrics import scrape
from tests.helpers.settings import settings_with
from tests.helpers.ws import connect, customer_opens, token_for

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("MONGODB_URI")), reason="embedded-store lifecycle; MONGODB_URI is set"
)


async def test_when_server_restarts_then_every_acknowledged_message_is_still_there(
    aiohttp_client: AiohttpClient, settings: Settings, scanner: Scanner, tmp_path: Path
) -> None:
    own = settings.with_overrides(data_dir=tmp_path, mongodb_uri=None)
    client = await aiohttp_client(create_app(own, scanner=scanner))
    assert (tmp_path / "store.uri").read_text().startswith("mongodb://127.0.0.1:")
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "first")
    for text in ("second", "third"):
        cid = await customer.send_text(text)
        await customer.expect("message.ack", client_id=cid)
    await client.close()
    assert not (tmp_path / "store.uri").exists()

    client = await aiohttp_client(create_app(own, scanner=scanner))
    response = await client.get(
        f"/api/conversations/{conversation_id}/messages",
        headers={"Authorization": "Bearer " + token_for(client, "customer", "cust-1")},
    )
    texts = [m["text"] for m in (await response.json())["messages"]]
    assert texts == ["first", "second", "third"]
    customer = await connect(client, "customer", "cust-1")
    cid = await customer.send_text("after restart")
    ack = await customer.expect("message.ack", client_id=cid)
    assert (ack["conversation_id"], ack["seq"]) == (conversation_id, 4)


async def test_when_the_store_child_dies_then_503_then_it_is_restarted_and_nothing_is_lost(
    aiohttp_client: AiohttpClient,
    settings: Settings,
    scanner: Scanner,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The store stays down longer than /healthz's ping may wait (PING_TIMEOUT_SECS), so the
    # 503 below is seen before the restart (with a second to spare, not a race of 0.05 s).
    slow_restart = settings_with(
        settings, store={"embedded_restart_delay_secs": PING_TIMEOUT_SECS + 1.0}
    )
    own = slow_restart.with_overrides(data_dir=tmp_path, mongodb_uri=None)
    client = await aiohttp_client(create_app(own, scanner=scanner))
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "before the crash")

    embedded = client.app[keys.STORE].embedded
    assert embedded is not None and embedded.pid is not None
    os.kill(embedded.pid, signal.SIGKILL)
    while embedded.healthy.is_set():  # noqa: ASYNC110  # until the supervisor saw the death
        await asyncio.sleep(0.01)
    health = await client.get("/healthz")
    assert health.status == 503
    assert (await health.json())["store"] == "embedded"

    for _ in range(200):
        if embedded.healthy.is_set() and (await client.get("/healthz")).status == 200:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the embedded store did not come back")
    assert embedded.restarts == 1
    assert any("exited unexpectedly" in r.message for r in caplog.records)

    cid = await customer.send_text("after the crash", conversation_id=conversation_id)
    ack = await customer.expect("message.ack", client_id=cid, timeout=15)
    assert ack["seq"] == 2
    metrics = await scrape(client)
    assert "chat_embedded_store_restarts 1.0" in metrics


async def test_healthz_reports_the_store_kind(
    aiohttp_client: AiohttpClient, settings: Settings, store_uri: str | None, scanner: Scanner
) -> None:
    client = await aiohttp_client(create_app(settings, store_uri=store_uri, scanner=scanner))
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "store": "embedded", "fanout": "local"}
    metrics = await scrape(client)
    assert "chat_store_up 1.0" in metrics
