"""The scan runs while the conversation is resolved, yet nothing is stored or passed on
before it finished: a failed scan refuses the message, a refused message's scan is
cancelled (actions/messages.check_send_message)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from chat_service.app import create_app
from chat_service.scanning import TextNotScanned
from chat_service.settings import Settings
from tests.helpers.ws import connect, customer_opens


class ScriptedScanner:
    """Finds nothing, after `delay`; fails while `failing` is set; counts running scans."""

    def __init__(self) -> None:
        self.failing = False
        self.refusing = False
        self.delay = 0.0
        self.running = 0

    async def scan(self, text: str, language: str | None, owner: str = "") -> list[dict[str, Any]]:
        self.running += 1
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.running -= 1
        if self.failing:
            raise RuntimeError("detector down")
        if self.refusing:
            raise TextNotScanned("regex timed out: a pattern ran out of time on this text")
        return []


async def _client(
    aiohttp_client: AiohttpClient, settings: Settings, store_uri: str | None
) -> tuple[TestClient[web.Request, web.Application], ScriptedScanner]:
    scanner = ScriptedScanner()
    client = await aiohttp_client(create_app(settings, store_uri=store_uri, scanner=scanner))
    return client, scanner


async def test_when_the_scan_fails_then_nothing_is_stored_or_passed_on(
    aiohttp_client: AiohttpClient, settings: Settings, store_uri: str | None
) -> None:
    client, scanner = await _client(aiohttp_client, settings, store_uri)
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    scanner.failing = True
    scanner.delay = 0.05  # still scanning when the new conversation is resolved

    await customer.send_text("my first message", client_id="c-1")
    error = await customer.expect("error", ref="c-1")
    assert error["code"] == "detection_unavailable"
    await agent.expect_nothing("message.new")

    scanner.failing = False
    await customer.send_text("my first message", client_id="c-1")  # the client resends
    ack = await customer.expect("message.ack", client_id="c-1")
    assert (ack["seq"], ack["duplicate"]) == (1, False)  # nothing was stored before
    message = await agent.expect_message(seq=1)
    assert message["text"] == "my first message"


async def test_when_the_detector_refuses_a_text_then_it_is_not_scannable_and_nothing_is_stored(
    aiohttp_client: AiohttpClient, settings: Settings, store_uri: str | None
) -> None:
    """A text the detector gives up on (a pattern out of time) is this text's fault: the
    sender is told it cannot be scanned (not the passing `detection_unavailable`, which the
    same text would meet again on every resend), and nothing is stored or passed on."""
    client, scanner = await _client(aiohttp_client, settings, store_uri)
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    scanner.refusing = True

    await customer.send_text("a text the patterns choke on", client_id="c-1")
    error = await customer.expect("error", ref="c-1")
    assert error["code"] == "text_not_scannable"
    await agent.expect_nothing("message.new")

    scanner.refusing = False
    await customer.send_text("reworded", client_id="c-2")
    ack = await customer.expect("message.ack", client_id="c-2")
    assert (ack["seq"], ack["duplicate"]) == (1, False)  # nothing was stored before
    message = await agent.expect_message(seq=1)
    assert message["text"] == "reworded"


async def test_when_the_message_is_refused_then_its_scan_is_cancelled(
    aiohttp_client: AiohttpClient, settings: Settings, store_uri: str | None
) -> None:
    client, scanner = await _client(aiohttp_client, settings, store_uri)
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "Hello")
    scanner.delay = 5.0

    # The agent has not joined: refused, without waiting for the scan, which is dropped
    # (cancelled, or never started when the refusal came first).
    await agent.send_text("hi", conversation_id=conversation_id, client_id="a-1")
    error = await agent.expect("error", ref="a-1", timeout=2.0)
    assert error["code"] == "conversation_not_found"
    await asyncio.sleep(0.05)
    assert scanner.running == 0
    scanner.delay = 0.0
    client_id = await customer.send_text("anyone?", conversation_id=conversation_id)
    assert (await customer.expect("message.ack", client_id=client_id))["seq"] == 2
