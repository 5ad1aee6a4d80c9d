"""Open sockets and the fan-out that delivers events to them.

Each connection owns a bounded send queue drained by its own writer task, so delivering
an event to many peers never waits on any one of them. A peer whose queue overflows (a
phone that never reads) is closed with 1008; it catches up from history on reconnect.
Fan-out goes through `FanOut.publish` only; the in-process backend is the embedded
default, and a change-stream backend for several instances can sit behind the same call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import WSCloseCode, web

from chat_service.auth import Identity, Role

logger = logging.getLogger(__name__)

Render = Callable[[Identity], Awaitable[dict[str, Any] | None]]
SEND_TIMEOUT_SECS = 10.0
# Close tasks are kept referenced until they finish (asyncio holds only weak references).
_BACKGROUND: set[asyncio.Task[Any]] = set()
FLUSH_TIMEOUT_SECS = 2.0


class Connection:
    def __init__(
        self,
        identity: Identity,
        ws: web.WebSocketResponse,
        queue_frames: int,
        on_policy_close: Callable[[str], None] | None = None,
        queue_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self.identity = identity
        self._queue_bytes_max = queue_bytes
        self._queued_bytes = 0
        self.id = "ws_" + secrets.token_hex(8)  # evidence in the consent ledger
        self._on_policy_close = on_policy_close
        self.ws = ws
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_frames)
        self._writer: asyncio.Task[None] | None = None
        self.closing = False

    def start(self) -> None:
        self._writer = asyncio.create_task(self._drain(), name=f"ws-writer-{self.identity.sub}")

    def send(self, frame: dict[str, Any]) -> bool:
        """Queue a frame; False (and the socket is closed) if the peer does not keep up."""
        if self.closing:
            return False
        data = json.dumps(frame, ensure_ascii=False)
        try:
            if self._queued_bytes + len(data) > self._queue_bytes_max and self._queued_bytes:
                raise asyncio.QueueFull
            self._queue.put_nowait(data)
            self._queued_bytes += len(data)
        except asyncio.QueueFull:
            logger.warning("peer does not read; closing", extra={"role": self.identity.role})
            if self._on_policy_close is not None:
                self._on_policy_close("slow_reader")
            self.close_soon(WSCloseCode.POLICY_VIOLATION, "send queue overflow")
            return False
        return True

    def close_soon(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        task = asyncio.create_task(self.ws.close(code=code, message=reason.encode()))
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)

    async def _drain(self) -> None:
        try:
            while True:
                data = await self._queue.get()
                try:
                    async with asyncio.timeout(SEND_TIMEOUT_SECS):
                        await self.ws.send_str(data)
                finally:
                    self._queued_bytes -= len(data)
                    self._queue.task_done()
        except (ConnectionError, RuntimeError, TimeoutError):
            self.close_soon(WSCloseCode.POLICY_VIOLATION, "peer stopped reading")

    async def hand_over(self) -> None:
        """Let the writer put what is queued on the wire before the caller goes on: one
        pass of the loop, in which the writer, woken by `send`, writes the frame to the
        transport (it waits only if the peer's buffer is full)."""
        await asyncio.sleep(0)

    async def flush(self) -> None:
        """Wait (bounded) until queued frames are written: used before a policy close."""
        if self._writer is None or self._writer.done():
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FLUSH_TIMEOUT_SECS):
                await self._queue.join()

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer


@dataclass(frozen=True, slots=True)
class Audience:
    """Who receives an event: named identities, and optionally every agent-role socket."""

    identities: frozenset[Identity] = field(default_factory=frozenset)
    all_agents: bool = False
    supervisors: bool = True
    exclude: Connection | None = None


class Registry:
    def __init__(self) -> None:
        self._by_identity: dict[Identity, set[Connection]] = {}

    def add(self, conn: Connection) -> None:
        self._by_identity.setdefault(conn.identity, set()).add(conn)

    def remove(self, conn: Connection) -> None:
        conns = self._by_identity.get(conn.identity)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self._by_identity[conn.identity]

    def __len__(self) -> int:
        return sum(len(c) for c in self._by_identity.values())

    def all(self) -> list[Connection]:
        return [c for conns in self._by_identity.values() for c in conns]

    def select(self, audience: Audience) -> Iterable[Connection]:
        chosen: set[Connection] = set()
        for identity in audience.identities:
            chosen.update(self._by_identity.get(identity, ()))
        if audience.all_agents or audience.supervisors:
            for identity, conns in self._by_identity.items():
                if (audience.all_agents and identity.is_agent) or (
                    audience.supervisors and identity.role is Role.SUPERVISOR
                ):
                    chosen.update(conns)
        if audience.exclude is not None:
            chosen.discard(audience.exclude)
        return chosen


class FanOut(Protocol):
    async def publish(self, audience: Audience, render: Render) -> int: ...


class InProcessFanOut:
    """Delivers to this process's sockets. Called only after the write was acknowledged."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def publish(self, audience: Audience, render: Render) -> int:
        """Render once per viewer, then queue to each socket (never waits on a peer)."""
        delivered = 0
        cache: dict[Identity, dict[str, Any] | None] = {}
        for conn in list(self._registry.select(audience)):
            if conn.identity not in cache:
                try:
                    cache[conn.identity] = await render(conn.identity)
                except Exception:
                    # One viewer's failure (a store blip while auditing, say) must not cost
                    # the others their frame; this viewer catches up from history.
                    logger.exception("rendering an event for a viewer failed")
                    cache[conn.identity] = None
            frame = cache[conn.identity]
            if frame is not None and conn.send(frame):
                delivered += 1
        return delivered


def constant(frame: dict[str, Any]) -> Render:
    """A render that gives every viewer the same frame."""

    async def render(_viewer: Identity) -> dict[str, Any] | None:
        return frame

    return render
