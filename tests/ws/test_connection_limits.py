"""Connections that idle, trickle or multiply are closed or refused, and never cost the
service its health endpoint or another customer's chat (issue 16, item 2).

The server runs as `chat-service serve` runs it (`GuardedTestServer`), with timeouts of a
fraction of a second so each test ends quickly; the waits below are bounds for a busy
machine, never what is asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
from pathlib import Path
from typing import cast

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.auth import Role, TokenService
from chat_service.settings import DEV_SECRET, Secret, Settings
from tests.conftest import AppFactory
from tests.helpers.raw import RawConnection, open_raw
from tests.helpers.server import GuardedTestServer, start_serve
from tests.helpers.settings import settings_with
from tests.helpers.ws import Client, connect, customer_opens, token_for

SHORT_SECS = 0.5
REPO = Path(__file__).resolve().parents[2]

HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"


async def _serve(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings, **connections: object
) -> Client:
    custom = settings_with(
        settings,
        connections={
            "idle_timeout_secs": 60.0,
            "header_timeout_secs": 60.0,
            "body_timeout_secs": 60.0,
            **connections,
        },
    )
    # pytest-aiohttp types a client of a server instance as app-less; this one has its app.
    return cast(Client, await aiohttp_client(GuardedTestServer(make_app(custom))))


async def _healthz(conn: RawConnection) -> bytes:
    """One keep-alive GET /healthz on a raw connection: the status line."""
    await conn.send(HEALTHZ)
    status = await conn.reader.readline()
    length = 0
    while (line := await conn.reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await conn.reader.readexactly(length)
    return status


async def test_when_headers_trickle_then_the_connection_is_closed_after_the_header_timeout(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    client = await _serve(aiohttp_client, make_app, settings, header_timeout_secs=SHORT_SECS)
    conn = await open_raw(client.host, client.port)
    await conn.send(b"GET /healthz HTTP/1.1\r\nHost: te")  # ... and the rest never comes
    assert await conn.ended() in ("reset", "eof")
    conn.close()
    assert client.app[keys.METRICS].connection_timeouts.labels("header")._value.get() == 1


async def test_when_an_upload_body_trickles_then_it_is_answered_408_and_closed(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    client = await _serve(aiohttp_client, make_app, settings, body_timeout_secs=SHORT_SECS)
    token = token_for(client, "customer", "cust-1")
    conn = await open_raw(client.host, client.port)
    boundary = "b0undary"
    await conn.send(
        (
            f"POST /api/attachments HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            "Content-Length: 100000\r\n\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
            "Content-Type: text/plain\r\n\r\nhello"
        ).encode()
    )  # ... and the other 99,800 bytes never come
    answer = await conn.read_all()
    conn.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b'"request_timeout"' in answer
    assert client.app[keys.METRICS].connection_timeouts.labels("body")._value.get() == 1


def _upload_head(token: str, length: int) -> bytes:
    return (
        "POST /api/attachments HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


BOUNDARY = "b0undary"
FILE_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
    "Content-Type: text/plain\r\n\r\n"
).encode()


async def test_when_an_upload_trickles_below_the_minimum_rate_then_408_long_before_the_body_timeout(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    """A byte at a time keeps arriving (the total body timeout is an hour away), but the
    body averages far below the minimum rate once the grace period is over."""
    client = await _serve(
        aiohttp_client,
        make_app,
        settings,
        body_timeout_secs=3600.0,
        body_min_bytes_per_sec=1000,
        body_rate_grace_secs=SHORT_SECS,
    )
    token = token_for(client, "customer", "cust-1")
    conn = await open_raw(client.host, client.port)
    await conn.send(_upload_head(token, 100_000) + FILE_HEAD)

    async def trickle() -> None:
        with contextlib.suppress(ConnectionError):
            while True:  # ~20 bytes a second, until the server stops taking them
                await conn.send(b"x")
                await asyncio.sleep(0.05)

    trickling = asyncio.create_task(trickle())
    answer = await conn.read_all()
    trickling.cancel()
    conn.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b'"request_timeout"' in answer
    timeouts = client.app[keys.METRICS].connection_timeouts
    assert timeouts.labels("body_rate")._value.get() == 1
    assert timeouts.labels("body")._value.get() == 0


async def test_when_an_upload_is_slow_but_above_the_minimum_rate_then_it_is_accepted(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    """A phone on a slow link: well above the minimum rate, for several grace periods."""
    client = await _serve(
        aiohttp_client,
        make_app,
        settings,
        body_min_bytes_per_sec=1000,
        body_rate_grace_secs=0.2,
    )
    token = token_for(client, "customer", "cust-1")
    text = b"slow upload line\n" * 1000  # 17,000 bytes, sent at ~100 KB/s
    body = FILE_HEAD + text + f"\r\n--{BOUNDARY}--\r\n".encode()
    conn = await open_raw(client.host, client.port)
    await conn.send(_upload_head(token, len(body)))
    for start in range(0, len(body), 1000):
        await conn.send(body[start : start + 1000])
        await asyncio.sleep(0.01)
    answer = await conn.read_all()
    conn.close()
    assert answer.startswith(b"HTTP/1.1 201 "), answer[:400]
    assert client.app[keys.METRICS].connection_timeouts.labels("body_rate")._value.get() == 0


async def test_when_a_connection_idles_then_it_is_closed_after_the_idle_timeout(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    client = await _serve(aiohttp_client, make_app, settings, idle_timeout_secs=SHORT_SECS)
    silent = await open_raw(client.host, client.port)  # connects and says nothing
    kept_alive = await open_raw(client.host, client.port)
    assert b" 200 " in await _healthz(kept_alive)  # one request, then nothing more
    assert await silent.ended() in ("reset", "eof")
    assert await kept_alive.ended() in ("reset", "eof")
    silent.close()
    kept_alive.close()


async def test_when_one_address_opens_more_than_its_cap_then_the_extra_is_reset_and_the_rest_work(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    client = await _serve(aiohttp_client, make_app, settings, max_per_ip=3)
    first = [await open_raw(client.host, client.port) for _ in range(3)]
    for conn in first:  # admitted: each answers
        assert b" 200 " in await _healthz(conn)
    extra = await open_raw(client.host, client.port)  # the kernel accepts; the server resets
    assert await extra.ended() in ("reset", "eof")
    extra.close()
    metrics = client.app[keys.METRICS]
    assert metrics.connections_refused.labels("per_ip")._value.get() == 1
    for conn in first:  # the three admitted ones still work
        assert b" 200 " in await _healthz(conn)
    first[0].close()
    assert await first[0].ended(bound_secs=5) == "eof"
    # Once one of them has gone, a new one is admitted (wait for the server to see it go).
    async with asyncio.timeout(30):
        while metrics.tcp_connections._value.get() > 2:  # noqa: ASYNC110  # server state
            await asyncio.sleep(0.02)
    again = await open_raw(client.host, client.port)
    assert b" 200 " in await _healthz(again)
    for conn in [*first[1:], again]:
        conn.close()


async def test_when_a_customer_opens_more_sockets_than_the_cap_then_the_extra_is_closed_1008(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    client = await _serve(aiohttp_client, make_app, settings, max_sockets_per_customer=2)
    agent = await connect(client, "agent", "agent-1")
    first = await connect(client, "customer", "cust-1")
    second = await connect(client, "customer", "cust-1")
    extra = await client.ws_connect(f"/ws?token={token_for(client, 'customer', 'cust-1')}")
    msg = await extra.receive(timeout=30)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert extra.close_code == 1008
    assert "too many open sockets for this customer (max 2)" in str(msg.extra)
    # Another customer is not affected, nor are the first two sockets.
    other = await connect(client, "customer", "cust-2")
    await other.close()
    conversation_id = await customer_opens(client, first, agent, "hello")
    await second.expect_message(conversation_id=conversation_id, text="hello")
    assert client.app[keys.METRICS].policy_closes.labels("customer_socket_cap")._value.get() == 1


@pytest.mark.timeout(300)  # starts a whole server (store child, detection worker) of its own
async def test_when_idle_connections_flood_a_low_fd_limit_then_healthz_and_sockets_keep_working(
    tmp_path: Path,
) -> None:
    """`chat-service serve` under RLIMIT_NOFILE 256, flooded with 400 connections that
    never send a byte, from one address (no per-IP cap here). The reserve (176: 80 client
    connections) covers the server's own ~25 descriptors and asyncio's accept burst (up
    to the listen backlog, 128, accepted in one pass before any is judged)."""
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    server_toml = config / "server.toml"
    text = server_toml.read_text()
    for key, value in {
        "fd_reserve": "176",
        "max_per_ip": "0",
        "idle_timeout_secs": "300.0",
        "workers": "1",
    }.items():
        text, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        assert count == 1, key
    server_toml.write_text(text)
    process = await start_serve(tmp_path / "data", config=config, nofile=256)
    assert process.stdout is not None and process.stderr is not None
    log = bytearray()
    drain = asyncio.create_task(_collect(process.stderr, log))
    flood: list[RawConnection] = []
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=120)).decode()
        assert line.startswith("chat-service serving on "), line + log.decode()[-2000:]
        url = line.split(" on ", 1)[1].strip()
        host, port = url.removeprefix("http://").rsplit(":", 1)
        settings = await asyncio.to_thread(Settings.load, config, None, {})
        token = TokenService(Secret(DEV_SECRET), settings.config.auth).issue(Role.CUSTOMER, "c1")
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            ws = await session.ws_connect(url + f"/ws?token={token}")
            assert (await ws.receive_json())["type"] == "hello"

            async def one() -> RawConnection | None:
                with contextlib.suppress(OSError, TimeoutError):
                    async with asyncio.timeout(10):
                        return await open_raw(host, int(port))
                return None

            flood = [c for c in await asyncio.gather(*(one() for _ in range(400))) if c]
            for _ in range(3):
                async with session.get(url + "/healthz") as response:
                    assert response.status == 200
            await ws.send_json({"type": "ping"})
            assert (await ws.receive_json())["type"] == "pong"
            await ws.close()
    finally:
        for conn in flood:
            conn.close()
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), timeout=60)
        await drain
    assert process.returncode == 0
    at = log.find(b"Traceback")
    assert at < 0, log[max(at - 2000, 0) : at + 3000].decode(errors="replace")
    assert len(log) < 100_000, f"{len(log)} bytes of log"


async def _collect(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into += chunk
