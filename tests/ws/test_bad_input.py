"""Every class of bad input gets a clear error frame or a policy close, and never costs
another connection anything or loses an accepted message."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.settings import Settings
from chat_service.ws.closing import LINGER_SECS
from tests.conftest import AppFactory
from tests.helpers.raw import open_raw_ws, text_frame
from tests.helpers.settings import settings_with
from tests.helpers.ws import Client, connect, customer_opens, token_for

BAD_FRAMES: dict[str, tuple[str, str]] = {
    "not json": ("{nope", "invalid_json"),
    "json array": ("[1, 2]", "invalid_frame"),
    "json string": ('"hello"', "invalid_frame"),
    "no type": ('{"client_id": "x"}', "missing_type"),
    "type not a string": ('{"type": 5}', "missing_type"),
    "unknown type": ('{"type": "message.delete"}', "unknown_type"),
    "missing client_id": ('{"type": "message.send", "kind": "text", "text": "a"}', "invalid_field"),
    "wrong kind": ('{"type": "message.send", "client_id": "a", "kind": "video"}', "invalid_field"),
    "text not a string": (
        '{"type": "message.send", "client_id": "a", "kind": "text", "text": 42}',
        "invalid_field",
    ),
    "empty text": (
        '{"type": "message.send", "client_id": "a", "kind": "text", "text": " "}',
        "invalid_field",
    ),
    "extra field": ('{"type": "ping", "admin": true}', "invalid_field"),
    "client_id with spaces": (
        '{"type": "message.send", "client_id": "a b", "kind": "text", "text": "x"}',
        "invalid_field",
    ),
    "negative after_seq": (
        '{"type": "history.fetch", "conversation_id": "c", "after_seq": -1}',
        "invalid_field",
    ),
    "after_seq as string": (
        '{"type": "history.fetch", "conversation_id": "c", "after_seq": "1"}',
        "invalid_field",
    ),
    "location out of range": (
        '{"type": "message.send", "client_id": "a", "kind": "location", '
        '"location": {"lat": 91, "lng": 0}}',
        "invalid_field",
    ),
    "location longitude out of range": (
        '{"type": "message.send", "client_id": "a", "kind": "location", '
        '"location": {"lat": 0, "lng": -180.5}}',
        "invalid_field",
    ),
    "location NaN": (
        '{"type": "message.send", "client_id": "a", "kind": "location", '
        '"location": {"lat": NaN, "lng": 0}}',
        "invalid_field",
    ),
    "location Infinity": (
        '{"type": "message.send", "client_id": "a", "kind": "location", '
        '"location": {"lat": 0, "lng": Infinity}}',
        "invalid_field",
    ),
    "location as strings": (
        '{"type": "message.send", "client_id": "a", "kind": "location", '
        '"location": {"lat": "31.2", "lng": "121.4"}}',
        "invalid_field",
    ),
    "location as booleans": (
        '{"type": "message.send", "client_id": "a", "kind": "location", '
        '"location": {"lat": true, "lng": false}}',
        "invalid_field",
    ),
    "location negative accuracy": (
        '{"type": "message.send", "client_id": "a", "kind": "location", '
        '"location": {"lat": 1, "lng": 1, "accuracy_m": -5}}',
        "invalid_field",
    ),
    "location with an attachment": (
        '{"type": "message.send", "client_id": "a", "kind": "location", '
        '"location": {"lat": 1, "lng": 1}, "attachment_id": "att_x"}',
        "invalid_field",
    ),
    "image with a location": (
        '{"type": "message.send", "client_id": "a", "kind": "image", '
        '"attachment_id": "att_x", "location": {"lat": 1, "lng": 1}}',
        "invalid_field",
    ),
    "location missing": (
        '{"type": "message.send", "client_id": "a", "kind": "location"}',
        "invalid_field",
    ),
    "image without attachment": (
        '{"type": "message.send", "client_id": "a", "kind": "image"}',
        "invalid_field",
    ),
    "lone surrogate": (
        '{"type": "message.send", "client_id": "a", "kind": "text", "text": "bad \\ud800 text"}',
        "invalid_field",
    ),
    "deep nesting": ("[" * 30000 + "]" * 30000, "invalid_json"),
    "shallow array": ("[" * 50 + "]" * 50, "invalid_frame"),
    "unknown conversation": (
        '{"type": "history.fetch", "conversation_id": "c_none", "after_seq": 0}',
        "conversation_not_found",
    ),
}


@pytest.mark.parametrize(("raw", "code"), BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
async def test_when_frame_is_bad_then_error_frame_and_socket_stays_usable(
    client: Client, raw: str, code: str
) -> None:
    customer = await connect(client, "customer", "cust-1")
    await customer.ws.send_str(raw)
    error = await customer.expect("error")
    assert error["code"] == code
    assert error["message"]
    cid = await customer.send_text("still here")
    await customer.expect("message.ack", client_id=cid)


async def test_when_frame_is_bad_then_error_carries_the_client_id_as_ref(client: Client) -> None:
    customer = await connect(client, "customer", "cust-1")
    await customer.send({"type": "message.send", "client_id": "ref-1", "kind": "text", "text": 7})
    error = await customer.expect("error")
    assert error["ref"] == "ref-1"


async def test_when_text_is_too_long_then_text_too_long(client: Client) -> None:
    customer = await connect(client, "customer", "cust-1")
    await customer.send_text("x" * 8001, client_id="long")
    error = await customer.expect("error")
    assert (error["code"], error["ref"]) == ("text_too_long", "long")


async def test_when_frame_is_binary_then_error_frame(client: Client) -> None:
    customer = await connect(client, "customer", "cust-1")
    await customer.ws.send_bytes(b"\x00\x01binary")
    assert (await customer.expect("error"))["code"] == "binary_frame"


async def test_when_frame_is_oversized_then_closed_with_1009_and_others_unaffected(
    client: Client,
) -> None:
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "accepted before")
    attacker = await connect(client, "customer", "attacker")
    await attacker.ws.send_str(json.dumps({"type": "ping", "pad": "x" * 70_000}))
    msg = await attacker.ws.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert attacker.ws.close_code == 1009

    cid = await customer.send_text("after the attack")
    ack = await customer.expect("message.ack", client_id=cid)
    assert ack["conversation_id"] == conversation_id and ack["seq"] == 2


async def test_when_a_client_goes_on_sending_after_an_oversized_frame_then_it_reads_1009(
    client: Client,
) -> None:
    """The close frame used to be lost: the server closed the connection with the rest of
    the frame and the later frames unread, the kernel answered with a reset, and the
    client saw 1006 (its later sends failing on a closed transport)."""
    peer = await connect(client, "customer", "cust-big")
    await peer.ws.send_str(json.dumps({"type": "ping", "pad": "x" * 262_000}))
    await asyncio.sleep(0.3)  # the server has refused the frame and sent its close
    for _ in range(20):
        await peer.send({"type": "ping"})  # never raises: the connection is still open
    while (msg := await peer.ws.receive(timeout=10)).type is aiohttp.WSMsgType.TEXT:
        pass
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert peer.ws.close_code == 1009


async def test_when_a_client_never_ends_the_connection_after_a_bad_frame_then_the_server_does(
    client: Client,
) -> None:
    """After a protocol error the server waits for the client to end the connection, for
    a bounded time (`LINGER_SECS`): a client that stays gets its close frame, then EOF."""
    raw = await open_raw_ws(
        "127.0.0.1", client.port, token_for(client, "customer", "cust-stays"), reading=False
    )
    await raw.send(text_frame(json.dumps({"type": "ping", "pad": "x" * 70_000})))
    received = await raw.read_all(bound_secs=LINGER_SECS + 20)  # ends in EOF, or fails
    assert b"\x88\x02\x03\xf1" in received  # a close frame with 1009 (0x03f1)
    raw.close()


async def test_when_a_socket_floods_then_rate_limited_then_closed_1008(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    tight = settings_with(
        settings,
        limits={
            "frames_per_sec": 5.0,
            "frame_burst": 5,
            "rate_violations_before_close": 10,
            "rate_limited_pause_secs": 0.1,
        },
    )
    client = await aiohttp_client(make_app(tight))
    bystander = await connect(client, "customer", "bystander")
    flooder = await connect(client, "customer", "flooder")
    for _ in range(40):
        await flooder.send({"type": "ping"})
    codes: list[str] = []
    while True:
        msg = await flooder.ws.receive(timeout=5)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            break
        frame: dict[str, Any] = json.loads(msg.data)
        if frame["type"] == "error":
            codes.append(frame["code"])
    assert flooder.ws.close_code == 1008
    assert "rate_limited" in codes

    cid = await bystander.send_text("unaffected")
    await bystander.expect("message.ack", client_id=cid)


async def test_when_a_peer_never_reads_then_it_is_closed_and_others_keep_flowing(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    small = settings_with(
        settings,
        # A long send timeout: the queue's overflow is what gives up on this peer here
        # (tests/ws/test_slow_readers.py covers the timeout).
        # The customer sends 41 messages in a row: more than a customer's message burst.
        limits={
            "send_queue_frames": 8,
            "send_buffer_bytes": 8192,
            "send_timeout_secs": 300.0,
            "message_burst": 100,
        },
        # The agent below reads nothing until the end: on a busy machine that takes longer
        # than a heartbeat, and a socket whose ping goes unanswered is given up on (aborted,
        # its buffered frames dropped). Not what this test is about.
        server={"heartbeat_secs": 300.0},
    )
    client = await aiohttp_client(make_app(small))
    agent = await connect(client, "agent", "agent-1")
    customer = await connect(client, "customer", "cust-1")
    conversation_id = await customer_opens(client, customer, agent, "hi")
    # A reader that never reads: raw TCP socket that completes the handshake and stops.
    token = token_for(client, "agent", "agent-2")
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a tiny window: fills fast
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, (client.host, client.port))
    reader, writer = await asyncio.open_connection(sock=raw)
    writer.write(
        (
            f"GET /ws?token={token} HTTP/1.1\r\nHost: {client.host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    assert b"101" in await reader.readline()
    big = "货" * 7900  # ~24 KB a frame
    for i in range(40):  # enough to fill the socket buffers and then the send queue
        cid = await customer.send_text(f"{i} {big}", conversation_id=conversation_id)
        await customer.expect("message.ack", client_id=cid)
    metric = client.app[keys.METRICS].policy_closes.labels("slow_reader")
    for _ in range(100):  # the close is decided as frames are queued; allow a busy machine
        if metric._value.get() == 1:
            break
        await asyncio.sleep(0.1)
    assert metric._value.get() == 1  # closed as a reader that never reads
    writer.close()
    new = await agent.expect_message(seq=41, timeout=10)
    assert new["text"].startswith("39 ")
