"""Heartbeats: idle connections that answer pings stay; dead ones are closed."""

from __future__ import annotations

import aiohttp
from pytest_aiohttp import AiohttpClient

from chat_service.settings import Settings
from tests.conftest import AppFactory
from tests.helpers.settings import settings_with
from tests.helpers.ws import connect, token_for


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
