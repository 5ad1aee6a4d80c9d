"""Identity: tokens are checked before any data flows; browser origins are allow-listed."""

from __future__ import annotations

import json
import time

import aiohttp
import jwt
import pytest

from chat_service import keys
from chat_service.auth import Role
from tests.conftest import TEST_SECRET
from tests.helpers.ws import Client, connect, token_for


def forge(claims: dict[str, object], secret: str = TEST_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def good_claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": "chat-service",
        "aud": "chat-service",
        "sub": "cust-1",
        "role": "customer",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return claims


BAD_TOKENS = {
    "missing": None,
    "garbage": "not-a-token",
    "wrong secret": forge(good_claims(), "another-secret-" + "y" * 40),
    "expired": forge(good_claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
    "wrong audience": forge(good_claims(aud="another-service")),
    "wrong issuer": forge(good_claims(iss="someone-else")),
    "unknown role": forge(good_claims(role="admin")),
    "no expiry": jwt.encode(
        {k: v for k, v in good_claims().items() if k != "exp"}, TEST_SECRET, algorithm="HS256"
    ),
    "alg none": jwt.encode(good_claims(), key="", algorithm="none"),
    "too long lived": forge(good_claims(exp=int(time.time()) + 10 * 86400)),
}


@pytest.mark.parametrize("token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
async def test_when_token_is_bad_then_socket_is_refused_before_upgrade(
    client: Client, token: str | None
) -> None:
    url = "/ws" if token is None else f"/ws?token={token}"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(url)
    assert refused.value.status == 401


@pytest.mark.parametrize("token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
async def test_when_token_is_bad_then_http_answers_401_json(
    client: Client, token: str | None
) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = await client.get("/api/conversations", headers=headers)
    assert response.status == 401
    body = await response.json()
    assert body["error"]["code"] == "unauthenticated"


async def test_when_token_comes_in_subprotocol_header_then_socket_opens(client: Client) -> None:
    token = token_for(client, "customer", "cust-9")
    ws = await client.ws_connect("/ws", protocols=("chat-service.v1", f"bearer.{token}"))
    assert ws.protocol == "chat-service.v1"
    hello = await ws.receive_json(timeout=5)
    assert hello["type"] == "hello" and hello["sub"] == "cust-9"
    await ws.close()


async def test_when_origin_is_not_allowed_then_socket_is_refused(client: Client) -> None:
    token = token_for(client, "customer", "cust-1")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(f"/ws?token={token}", origin="https://evil.example")
    assert refused.value.status == 403


async def test_when_origin_is_allowed_then_socket_opens(client: Client) -> None:
    allowed = client.app[keys.SETTINGS].config.server.allowed_origins[0]
    peer = await connect(client, "customer", "cust-1", origin=allowed)
    await peer.close()


async def test_when_customer_calls_agent_api_then_403(client: Client) -> None:
    token = token_for(client, "customer", "cust-1")
    response = await client.get("/api/conversations", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "forbidden"


def test_token_service_refuses_ttl_beyond_the_maximum(client: Client) -> None:
    with pytest.raises(ValueError, match="ttl"):
        client.app[keys.TOKENS].issue(Role.AGENT, "a", ttl_secs=10**9)


async def test_when_the_token_expires_then_the_socket_is_closed(client: Client) -> None:
    token = client.app[keys.TOKENS].issue(Role.CUSTOMER, "cust-short", ttl_secs=1)
    ws = await client.ws_connect(f"/ws?token={token}")
    # `hello` (two store reads) usually comes first; on a busy machine the one-second
    # token can expire before it is sent, and then the close comes alone.
    closing = await ws.receive(timeout=10)
    if closing.type is aiohttp.WSMsgType.TEXT:
        assert json.loads(closing.data)["type"] == "hello"
        closing = await ws.receive(timeout=10)
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert ws.close_code == 1008
    assert closing.extra == "token expired"
