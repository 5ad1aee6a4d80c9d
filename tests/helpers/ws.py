"""Domain-shaped WebSocket helpers: connect as someone, expect frames by type.

Every frame received is validated against the server's declared event models, so a
frame that drifts from its schema fails the test that received it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient

from chat_service import keys
from chat_service.auth import Role
from chat_service.protocol.events import validate_event

Client = TestClient[web.Request, web.Application]
FRAME_TIMEOUT_SECS = 10.0


def token_for(client: Client, role: str, sub: str, ttl: int | None = None) -> str:
    return client.app[keys.TOKENS].issue(Role(role), sub, ttl)


class Peer:
    """One open socket of one person, with a buffer of frames not yet expected."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, role: str, sub: str) -> None:
        self.ws = ws
        self.role = role
        self.sub = sub
        self.buffer: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def send_text(
        self, text: str, *, conversation_id: str | None = None, client_id: str | None = None
    ) -> str:
        client_id = client_id or uuid.uuid4().hex
        frame: dict[str, Any] = {
            "type": "message.send",
            "client_id": client_id,
            "kind": "text",
            "text": text,
        }
        if conversation_id is not None:
            frame["conversation_id"] = conversation_id
        await self.send(frame)
        return client_id

    async def _receive(self, timeout: float) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=timeout)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            raise AssertionError(
                f"{self.sub}: expected a text frame, got {msg.type!r} {msg.data!r}"
            )
        frame: dict[str, Any] = json.loads(msg.data)
        validate_event(frame)
        return frame

    async def expect(
        self, frame_type: str, timeout: float = FRAME_TIMEOUT_SECS, **match: Any
    ) -> dict[str, Any]:
        """The next frame of this type (and matching fields); others stay buffered."""
        for i, frame in enumerate(self.buffer):
            if _matches(frame, frame_type, match):
                return self.buffer.pop(i)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(
                    f"{self.sub}: no {frame_type} {match or ''} within {timeout}s; "
                    f"buffered: {[f.get('type') for f in self.buffer]}"
                )
            try:
                frame = await self._receive(left)
            except TimeoutError:
                continue
            if _matches(frame, frame_type, match):
                return frame
            self.buffer.append(frame)

    async def expect_message(
        self, frame_type: str = "message.new", timeout: float = FRAME_TIMEOUT_SECS, **fields: Any
    ) -> dict[str, Any]:
        """The next message.new (or .updated) whose message has these field values."""
        deadline = asyncio.get_running_loop().time() + timeout
        skipped: list[dict[str, Any]] = []
        try:
            while True:
                left = deadline - asyncio.get_running_loop().time()
                frame = await self.expect(frame_type, timeout=max(left, 0.01))
                message = frame["message"]
                if all(message.get(k) == v for k, v in fields.items()):
                    return dict(message)
                skipped.append(frame)
        finally:
            self.buffer[:0] = skipped

    async def expect_nothing(self, frame_type: str, wait: float = 0.3) -> None:
        """No frame of this type arrives within `wait` seconds."""
        for frame in self.buffer:
            assert frame.get("type") != frame_type, f"{self.sub} got unexpected {frame}"
        try:
            async with asyncio.timeout(wait):
                while True:
                    frame = await self._receive(wait)
                    assert frame.get("type") != frame_type, f"{self.sub} got unexpected {frame}"
                    self.buffer.append(frame)
        except TimeoutError:
            return

    async def close(self) -> None:
        await self.ws.close()


def _matches(frame: dict[str, Any], frame_type: str, match: dict[str, Any]) -> bool:
    return frame.get("type") == frame_type and all(frame.get(k) == v for k, v in match.items())


async def connect(client: Client, role: str, sub: str, **kwargs: Any) -> Peer:
    """Open /ws as `role`/`sub` and consume the hello frame."""
    token = token_for(client, role, sub)
    ws = await client.ws_connect(f"/ws?token={token}", **kwargs)
    peer = Peer(ws, role, sub)
    hello = await peer.expect("hello")
    assert hello["role"] == role and hello["sub"] == sub
    return peer


async def customer_opens(client: Client, customer: Peer, agent: Peer, text: str) -> str:
    """The customer writes first; the agent sees the conversation open. Its id."""
    client_id = await customer.send_text(text)
    ack = await customer.expect("message.ack", client_id=client_id)
    opened = await agent.expect("conversation.opened")
    assert opened["conversation"]["id"] == ack["conversation_id"]
    return str(ack["conversation_id"])
