"""The /ws Origin check: the server's own origin on whatever port it serves, the configured
embedding sites, forwarded headers only from a trusted proxy (a real server on a random
port, real WebSocket handshakes)."""

from __future__ import annotations

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.app import create_app
from chat_service.scanning import Scanner
from chat_service.settings import Settings
from tests.helpers.settings import settings_with
from tests.helpers.ws import Client, connect, token_for

EMBEDDING_SITE = "https://shop.example"


async def _server(
    aiohttp_client: AiohttpClient,
    settings: Settings,
    store_uri: str | None,
    scanner: Scanner,
    *,
    trusted_proxies: list[str],
) -> Client:
    custom = settings_with(
        settings,
        server={"allowed_origins": [EMBEDDING_SITE], "trusted_proxies": trusted_proxies},
    )
    return await aiohttp_client(create_app(custom, store_uri=store_uri, scanner=scanner))


async def _refused(client: Client, origin: str, headers: dict[str, str] | None = None) -> int:
    token = token_for(client, "customer", "cust-1")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(f"/ws?token={token}", origin=origin, headers=headers)
    return refused.value.status


async def test_when_a_page_of_the_server_itself_opens_the_socket_on_any_port_then_it_opens(
    aiohttp_client: AiohttpClient, settings: Settings, store_uri: str | None, scanner: Scanner
) -> None:
    client = await _server(aiohttp_client, settings, store_uri, scanner, trusted_proxies=[])
    assert client.port is not None
    own = f"http://127.0.0.1:{client.port}"
    assert own not in client.app[keys.SETTINGS].config.server.allowed_origins
    peer = await connect(client, "customer", "cust-1", origin=own)
    await peer.close()
    embedded = await connect(client, "customer", "cust-2", origin=EMBEDDING_SITE)
    await embedded.close()

    assert await _refused(client, f"http://127.0.0.1:{client.port + 1}") == 403
    assert await _refused(client, f"https://127.0.0.1:{client.port}") == 403
    assert await _refused(client, "null") == 403


@pytest.mark.parametrize(
    "forged",
    [
        {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
        {"Forwarded": "proto=https;host=evil.example"},
    ],
    ids=["x-forwarded", "forwarded"],
)
async def test_when_an_untrusted_peer_sends_forwarded_headers_then_they_do_not_widen_the_check(
    aiohttp_client: AiohttpClient,
    settings: Settings,
    store_uri: str | None,
    scanner: Scanner,
    forged: dict[str, str],
) -> None:
    client = await _server(
        aiohttp_client, settings, store_uri, scanner, trusted_proxies=["10.0.0.0/8"]
    )
    assert await _refused(client, "https://evil.example", forged) == 403
    # The headers are ignored, not fatal: the server's own origin still opens.
    peer = await connect(
        client, "customer", "cust-1", origin=f"http://127.0.0.1:{client.port}", headers=forged
    )
    await peer.close()


@pytest.mark.parametrize(
    "forwarded",
    [
        {"X-Forwarded-Host": "chat.shop.example", "X-Forwarded-Proto": "https"},
        {"Forwarded": 'for=192.0.2.7;proto=https;host="chat.shop.example"'},
    ],
    ids=["x-forwarded", "forwarded"],
)
async def test_when_a_trusted_proxy_forwards_the_public_origin_then_that_origin_opens(
    aiohttp_client: AiohttpClient,
    settings: Settings,
    store_uri: str | None,
    scanner: Scanner,
    forwarded: dict[str, str],
) -> None:
    client = await _server(
        aiohttp_client, settings, store_uri, scanner, trusted_proxies=["127.0.0.1"]
    )
    peer = await connect(
        client, "customer", "cust-1", origin="https://chat.shop.example", headers=forwarded
    )
    await peer.close()
    assert await _refused(client, "https://evil.example", forwarded) == 403
    # Behind the proxy, the address it reached the server on is not the browser's origin.
    assert await _refused(client, f"http://127.0.0.1:{client.port}", forwarded) == 403
