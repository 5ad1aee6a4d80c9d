"""Open sockets and the fan-out that delivers events to them.

Each connection owns a send queue, bounded in frames and in bytes (UTF-8, counted until a
frame is on the wire), drained by its own writer task, so delivering an event to many
peers never waits on any one of them. A peer given up on (its queue over budget, or a
frame not taken within the send timeout: a phone that never reads) is aborted: its queue
dropped and its transport closed at once, with a reset, so neither this process nor the
kernel keeps its output; it catches up from history on reconnect. Fan-out goes through
`FanOut.publish` only; the in-process backend is the embedded default, and the Redis
backend (fanout_redis.py, with `REDIS_URL`) carries each event to the other instances too.
An event crosses as its `Portable` description (a kind and JSON data, e.g. a constant
frame, or bytes: a message as stored, in BSON), from which the receiving instance builds
the render again.

Below the actions (which publish through actions/delivery.py) and above nothing but
auth.py: the WebSocket handler (ws/) registers the connections it accepts here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import WSCloseCode, WSMsgType, web

from chat_service.auth import Identity, Role
from chat_service.json_types import JsonObject

logger = logging.getLogger(__name__)

Render = Callable[[Identity], Awaitable[JsonObject | None]]
# Close tasks are kept referenced until they finish (asyncio holds only weak references).
_BACKGROUND: set[asyncio.Task[Any]] = set()
FLUSH_TIMEOUT_SECS = 2.0
CONSTANT = "constant"  # the kind of a `Portable` that gives every viewer the same frame


def encode_frame(frame: Mapping[str, object]) -> bytes:
    """A frame as UTF-8 JSON. A lone surrogate a client sent as a JSON escape (`"\\ud800"`)
    and that an answer echoes (its `client_id` as `ref`, a field name an error names) has no
    UTF-8 form: such a frame is written with JSON escapes, as the client wrote it."""
    text = json.dumps(frame, ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(frame).encode()


class Connection:
    def __init__(
        self,
        identity: Identity,
        ws: web.WebSocketResponse,
        queue_frames: int,
        on_policy_close: Callable[[str], None] | None = None,
        queue_bytes: int = 1024 * 1024,
        *,
        send_timeout_secs: float = 10.0,
        abort: Callable[[], None] | None = None,
    ) -> None:
        self.identity = identity
        self._queue_bytes_max = queue_bytes
        self._queued_bytes = 0
        self._send_timeout_secs = send_timeout_secs
        self._abort = abort
        self.id = "ws_" + secrets.token_hex(8)  # evidence in the consent ledger
        self._on_policy_close = on_policy_close
        self.ws = ws
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=queue_frames)
        self._writer: asyncio.Task[None] | None = None
        self._taken = asyncio.Event()  # set while the peer has taken most of its output
        self._taken.set()
        self.closing = False
        self.given_up = False

    @property
    def queued_bytes(self) -> int:
        """Bytes of frames accepted for this peer and not yet on the wire."""
        return self._queued_bytes

    def start(self) -> None:
        self._writer = asyncio.create_task(self._drain(), name=f"ws-writer-{self.identity.sub}")

    def send(self, frame: Mapping[str, object]) -> bool:
        """Queue a frame; False (and the peer is aborted) if the peer does not keep up."""
        if self.closing:
            return False
        data = encode_frame(frame)
        if self._queued_bytes + len(data) > self._queue_bytes_max and self._queued_bytes:
            self.give_up("slow_reader")
            return False
        try:
            self._queue.put_nowait(data)
        except asyncio.QueueFull:
            self.give_up("slow_reader")
            return False
        self._queued_bytes += len(data)
        if self._queued_bytes > self._queue_bytes_max // 2:
            self._taken.clear()
        return True

    async def taken(self) -> None:
        """Wait while more than half the byte budget is still queued for this peer (it
        resumes once the peer has read that far, or has been given up on): the receive
        loop awaits this before each request, so a peer that asks but does not read stops
        being answered (and read) instead of making the server build output for it."""
        await self._taken.wait()

    def give_up(self, reason: str) -> None:
        """Abort the peer: no polite close (it would wait for a reader that does not read),
        its queued output dropped, its transport closed with a reset."""
        if self.given_up:
            return
        logger.warning(
            "peer does not keep up; aborting", extra={"role": self.identity.role, "reason": reason}
        )
        self.given_up = True
        self.closing = True
        if self._on_policy_close is not None:
            self._on_policy_close(reason)
        self._drop_queue()
        if self._abort is not None:
            self._abort()

    def close_soon(self, code: int, reason: str) -> None:
        """Close politely in the background; a peer that does not take the close frame
        within the send timeout is aborted."""
        if self.closing:
            return
        self.closing = True
        task = asyncio.create_task(self._close(code, reason))
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)

    async def close(self, code: int, reason: str) -> None:
        """Close politely and wait (bounded by the send timeout, then abort)."""
        self.closing = True
        await self._close(code, reason)

    async def _close(self, code: int, reason: str) -> None:
        try:
            async with asyncio.timeout(self._send_timeout_secs):
                await self.ws.close(code=code, message=reason.encode())
        except TimeoutError:
            self.give_up("close_timeout")

    async def _drain(self) -> None:
        try:
            while True:
                data = await self._queue.get()
                try:
                    async with asyncio.timeout(self._send_timeout_secs):
                        await self.ws.send_frame(data, WSMsgType.TEXT)
                finally:
                    self._queued_bytes = max(self._queued_bytes - len(data), 0)
                    self._queue.task_done()
                    if self._queued_bytes <= self._queue_bytes_max // 2:
                        self._taken.set()
        except TimeoutError:
            self.give_up("send_timeout")
        except (ConnectionError, RuntimeError):
            self.close_soon(WSCloseCode.POLICY_VIOLATION, "peer stopped reading")

    def _drop_queue(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()
        self._queued_bytes = 0
        self._taken.set()

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
        self._drop_queue()


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

    def count(self, identity: Identity) -> int:
        """Open sockets of this person."""
        return len(self._by_identity.get(identity, ()))

    def all(self) -> list[Connection]:
        return [c for conns in self._by_identity.values() for c in conns]

    def reaches(self, audience: Audience) -> bool:
        """Whether `audience` has any socket here (`select`'s rule, without building it)."""
        return any(conn is not audience.exclude for conn in self._chosen(audience))

    def select(self, audience: Audience) -> Iterable[Connection]:
        chosen = set(self._chosen(audience))
        if audience.exclude is not None:
            chosen.discard(audience.exclude)
        return chosen

    def _chosen(self, audience: Audience) -> Iterator[Connection]:
        """The sockets `audience` names here, `exclude` included, a socket maybe twice."""
        for identity in audience.identities:
            yield from self._by_identity.get(identity, ())
        if audience.all_agents or audience.supervisors:
            for identity, conns in self._by_identity.items():
                if (audience.all_agents and identity.is_agent) or (
                    audience.supervisors and identity.role is Role.SUPERVISOR
                ):
                    yield from conns


def audience_to_wire(audience: Audience) -> JsonObject:
    """The audience as JSON for another instance (`exclude`, a socket here, stays here)."""
    return {
        "identities": [[i.role.value, i.sub] for i in sorted(audience.identities, key=_ident_key)],
        "all_agents": audience.all_agents,
        "supervisors": audience.supervisors,
    }


def audience_from_wire(data: JsonObject) -> Audience:
    """The audience another instance sent (ValueError if malformed)."""
    pairs = data["identities"]
    if not isinstance(pairs, list):
        raise ValueError("identities must be a list")
    identities: set[Identity] = set()
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError("an identity is a [role, sub] pair")
        role, sub = pair
        identities.add(Identity(Role(str(role)), str(sub)))
    return Audience(
        identities=frozenset(identities),
        all_agents=data["all_agents"] is True,
        supervisors=data["supervisors"] is True,
    )


def _ident_key(identity: Identity) -> tuple[str, str]:
    return identity.role.value, identity.sub


# What a `Portable` event crosses as: JSON, or bytes in a format its kind names (a message
# as stored is BSON: carried as is, not base64 inside JSON).
Description = JsonObject | bytes


@dataclass(frozen=True, slots=True)
class Portable:
    """A render that can cross to another instance: `kind` and the `Description` that
    `describe` returns (called only when the event does cross) describe the event, and the
    receiving instance builds the render again from them (fanout_redis.py); here `render`
    is used as is."""

    kind: str
    describe: Callable[[], Description]
    render: Render

    async def __call__(self, viewer: Identity) -> JsonObject | None:
        return await self.render(viewer)


class FanOut(Protocol):
    async def publish(self, audience: Audience, render: Render) -> int: ...


class InProcessFanOut:
    """Delivers to this process's sockets. Called only after the write was acknowledged."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def publish(self, audience: Audience, render: Render) -> int:
        """Render once per viewer, then queue to each socket (never waits on a peer)."""
        delivered = 0
        cache: dict[Identity, JsonObject | None] = {}
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


def constant(frame: JsonObject) -> Portable:
    """A render that gives every viewer the same frame (it crosses instances as is)."""

    async def render(_viewer: Identity) -> JsonObject | None:
        return frame

    return Portable(CONSTANT, lambda: {"frame": frame}, render)
