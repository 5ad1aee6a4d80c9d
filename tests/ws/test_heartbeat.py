"""Heartbeats: idle connections that answer pings stay; dead ones are closed."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any, cast

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient

from chat_service.settings import Settings
from tests.conftest import AppFactory
from tests.helpers.server import GuardedTestServer
from tests.helpers.settings import settings_with
from tests.helpers.ws import Client, connect, token_for


async def test_when_a_peer_answers_pings_then_it_stays_and_a_silent_one_is_closed(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    client = await aiohttp_client(make_app(settings_with(settings, server={"heartbeat_secs": 1.0})))
    alive = await connect(client, "customer", "alive")  # aiohttp answers pings itself
    token = token_for(client, "customer", "silent")
    silent = await client.ws_connect(f"/ws?token={token}", autoping=False)
    # The live peer keeps reading (its client answers pings while it reads) for 3 s: three
    # pings, each answered within the server's wait (half the heartbeat: 0.5 s, room for a
    # loaded machine's loop lag).
    await alive.expect_nothing("message.new", wait=3.0)
    msgs = []
    while True:
        msg = await silent.receive(timeout=5)
        msgs.append(msg.type)
        if msg.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.CLOSING,
        ):
            break
    assert aiohttp.WSMsgType.PING in msgs
    await alive.send({"type": "ping"})
    await alive.expect("pong")


async def test_when_sockets_are_open_then_each_heartbeat_is_due_at_its_own_time_not_a_whole_second(
    aiohttp_client: AiohttpClient,
    make_app: AppFactory,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """aiohttp rounds a heartbeat deadline longer than the handler's `timeout_ceil_threshold`
    (5 s unless set) up to a whole second of the loop's clock: the pings of every socket of
    the server then fell due at whole seconds, in bursts. Each deadline is read where the
    socket schedules it (the loop's `call_at`), as `chat-service serve` runs the app."""
    loop = asyncio.get_running_loop()
    due: list[float] = []
    call_at = loop.call_at

    def recording(when: float, callback: Callable[..., object], *args: object, **kw: Any) -> Any:
        if getattr(callback, "__name__", "") == "_send_heartbeat":
            due.append(when)
        return call_at(when, callback, *args, **kw)

    monkeypatch.setattr(loop, "call_at", recording)
    app = make_app(settings_with(settings, server={"heartbeat_secs": 20.0}))
    client = cast(Client, await aiohttp_client(GuardedTestServer(app)))
    for n in range(3):
        peer = await connect(client, "customer", f"heart-{n}")
        await peer.send({"type": "ping"})
        await peer.expect("pong")
    assert len(due) >= 3
    assert all(when != math.ceil(when) for when in due), due
