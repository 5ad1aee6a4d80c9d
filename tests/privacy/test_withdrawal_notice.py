"""A consent withdrawal reaches the other recipients (policy 7.2.2): a signed notice,
retried until a real receiver on loopback accepts it."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpClient

from chat_service.privacy.webhooks import verify
from chat_service.settings import Settings
from tests.conftest import AppFactory
from tests.helpers.consent import (
    CARD,
    CARD_DIGITS,
    CARD_TEXT,
    answer,
    assigned_chat,
    send_sensitive,
)

SECRET = "receiver-secret-" + "r" * 32


async def test_when_consent_is_withdrawn_then_recipients_get_a_signed_notice(
    aiohttp_client: AiohttpClient,
    make_app: AppFactory,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    delivered = asyncio.Event()
    attempts = 0

    async def receiver(request: web.Request) -> web.Response:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            return web.Response(status=503)  # down at first: the notice must be retried
        received.append((dict(request.headers), await request.read()))
        delivered.set()
        return web.Response(status=204)

    hook = web.Application()
    hook.router.add_post("/privacy", receiver)
    server = TestServer(hook, host="127.0.0.1")
    await server.start_server()
    config = tmp_path / "config"
    await asyncio.to_thread(shutil.copytree, settings.config_dir, config)
    text = (config / "webhooks.toml").read_text()
    text = text.replace("\nwebhooks = []\n", "\n")
    text += (
        f'\n[[webhooks]]\nname = "crm"\nurl = "{server.make_url("/privacy")}"\n'
        'events = ["consent.withdrawn"]\nsecret_env = "TEST_CRM_SECRET"\n'
    )
    text = text.replace("initial_backoff_secs = 30.0", "initial_backoff_secs = 0.2")
    text = text.replace("poll_interval_secs = 5.0", "poll_interval_secs = 0.1")
    text = text.replace("jitter_ratio = 0.2", "jitter_ratio = 0.0")
    (config / "webhooks.toml").write_text(text)
    monkeypatch.setenv("TEST_CRM_SECRET", SECRET)
    client = await aiohttp_client(make_app(settings.with_overrides(config_dir=config)))
    try:
        chat = await assigned_chat(client)
        message_id, request = await send_sensitive(chat.customer, CARD_TEXT, chat.conversation_id)
        await answer(chat.customer, request["request_id"], granted=True)
        await chat.customer.expect("consent.recorded", request_id=request["request_id"])

        await chat.customer.send({"type": "consent.withdraw", "categories": ["financial"]})
        await chat.customer.expect("consent.recorded", reason="withdrawn")
        await delivered.wait()  # retried after the first failure: no deadline but the test's
        assert attempts >= 2, "the first failure was retried"
        headers, body = received[0]
        assert headers["X-Chat-Service-Event"] == "consent.withdrawn"
        assert verify(
            SECRET.encode(),
            headers["X-Chat-Service-Timestamp"],
            body,
            headers["X-Chat-Service-Signature"],
            int(time.time()),
        )
        assert not verify(
            b"another-secret-" + b"x" * 32,
            headers["X-Chat-Service-Timestamp"],
            body,
            headers["X-Chat-Service-Signature"],
            int(time.time()),
        )
        assert b"cust-1" in body and message_id.encode() in body
        # ids and facts only, never content (random hex ids may hold "4111", not the card)
        assert CARD.encode() not in body and CARD_DIGITS.encode() not in body
    finally:
        await server.close()
