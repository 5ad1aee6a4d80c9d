"""GET /ws: check Origin and token before upgrading, then the receive loop.

Every frame is parsed into a typed command (protocol/commands.py) and handed to one
action; a frame that cannot be accepted gets an `error` frame with its `ref`. A socket's
frames are handled one at a time in arrival order, but reading runs ahead by up to
PIPELINE_DEPTH frames, and a message's scan starts when its frame is read (FramePipeline):
a phone flushing its outbox has each message scanned while the one before is stored. Abuse
(floods) closes with 1008, oversized frames with 1009 (aiohttp's max_msg_size). An
unexpected exception is logged once here and never reaches other connections.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from pymongo.errors import PyMongoError

from chat_service import keys
from chat_service.actions import consent as consent_actions
from chat_service.actions.messages import drop_task
from chat_service.auth import Identity, Role
from chat_service.errors import ChatError, OriginNotAllowed, ProtocolError, RateLimited
from chat_service.protocol.commands import Command, MessageSend, parse_command
from chat_service.protocol.events import ErrorOut, Hello
from chat_service.services import Services
from chat_service.ws.connections import Connection
from chat_service.ws.dispatch import dispatch

logger = logging.getLogger(__name__)

SUBPROTOCOL = "chat-service.v1"
PIPELINE_DEPTH = 8  # frames read ahead of the one being handled, per socket
TOKEN_PROTOCOL_PREFIX = "bearer."  # noqa: S105  # a prefix, not a secret


class TokenBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._last = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


def _token_from(request: web.Request) -> str | None:
    token = request.query.get("token")
    if token:
        return token
    header = request.headers.get("Sec-WebSocket-Protocol", "")
    for offered in (p.strip() for p in header.split(",")):
        if offered.startswith(TOKEN_PROTOCOL_PREFIX):
            return offered[len(TOKEN_PROTOCOL_PREFIX) :]
    return None


def _check_origin(request: web.Request) -> None:
    origin = request.headers.get("Origin")
    if origin is None:
        return  # not a browser: cross-site hijacking needs a browser
    allowed = request.app[keys.SETTINGS].config.server.allowed_origins
    if origin not in allowed:
        raise OriginNotAllowed()


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    app = request.app
    _check_origin(request)
    identity = app[keys.TOKENS].verify(_token_from(request) or "")
    settings = app[keys.SETTINGS]
    limits = settings.config.limits
    ws = web.WebSocketResponse(
        heartbeat=settings.config.server.heartbeat_secs,
        max_msg_size=limits.max_frame_bytes,
        protocols=(SUBPROTOCOL,),
    )
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, limits.send_buffer_bytes)
    await ws.prepare(request)
    metrics = app[keys.METRICS]
    conn = Connection(
        identity,
        ws,
        limits.send_queue_frames,
        on_policy_close=lambda reason: metrics.policy_closes.labels(reason).inc(),
        queue_bytes=limits.send_queue_bytes,
    )
    registry = app[keys.REGISTRY]
    registry.add(conn)
    conn.start()
    expiry = _close_at_expiry(conn, identity)
    metrics.connections.labels(identity.role.value).inc()
    try:
        conn.send(
            Hello(
                role=identity.role.value,
                sub=identity.sub,
                heartbeat_secs=settings.config.server.heartbeat_secs,
            ).frame()
        )
        if identity.role is Role.CUSTOMER:
            await _send_open_requests(app, conn, identity)
        await _receive_loop(app, conn, identity)
    finally:
        if expiry is not None:
            expiry.cancel()
        registry.remove(conn)
        metrics.connections.labels(identity.role.value).dec()
        await conn.stop()
    return ws


async def _send_open_requests(app: web.Application, conn: Connection, identity: Identity) -> None:
    try:
        frames = await consent_actions.open_requests(app[keys.SERVICES], identity.sub)
    except PyMongoError:
        logger.warning("could not read open consent requests", exc_info=True)
        return  # the socket still works; the prompts come with the next connection
    for frame in frames:
        conn.send(frame)


def _close_at_expiry(conn: Connection, identity: Identity) -> asyncio.TimerHandle | None:
    """A socket lives no longer than its token: the client reconnects with a fresh one."""
    if identity.expires_at is None:
        return None
    delay = max(identity.expires_at - time.time(), 0.0)
    return asyncio.get_running_loop().call_later(
        delay, conn.close_soon, WSCloseCode.POLICY_VIOLATION, "token expired"
    )


async def _receive_loop(app: web.Application, conn: Connection, identity: Identity) -> None:
    limits = app[keys.SETTINGS].config.limits
    pipeline = FramePipeline(app[keys.SERVICES], conn, identity, limits.max_text_chars)
    try:
        await _read_frames(app, conn, pipeline)
    except BaseException:
        pipeline.abandon()
        raise
    await pipeline.finish()  # what was received is handled (its answers may not arrive)


async def _read_frames(app: web.Application, conn: Connection, pipeline: FramePipeline) -> None:
    ws = conn.ws
    limits = app[keys.SETTINGS].config.limits
    metrics = app[keys.METRICS]
    bucket = TokenBucket(limits.frames_per_sec, limits.frame_burst)
    violations = 0
    async for msg in ws:
        if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
            if not bucket.take():
                violations += 1
                metrics.frames_rejected.labels(RateLimited.code).inc()
                if violations >= limits.rate_violations_before_close:
                    metrics.policy_closes.labels("flood").inc()
                    await pipeline.put_frame(RateLimited("closing: too many frames").to_frame())
                    await pipeline.finish()
                    await conn.flush()
                    await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"flood")
                    return
                await pipeline.put_frame(RateLimited().to_frame())
                continue
            if msg.type is WSMsgType.BINARY:
                metrics.frames_rejected.labels("binary_frame").inc()
                await pipeline.put_frame(
                    ErrorOut(code="binary_frame", message="send JSON text frames only").frame()
                )
                continue
            await pipeline.put_text(msg.data)
        elif msg.type is WSMsgType.ERROR:
            exc = ws.exception()
            logger.info("socket error", extra={"error": type(exc).__name__ if exc else None})
            metrics.policy_closes.labels("protocol_error").inc()
            return


type _Scan = asyncio.Task[list[dict[str, Any]]]
type _Item = tuple[float, Command | ProtocolError, _Scan | None] | dict[str, Any]


class FramePipeline:
    """One socket's frames, handled one at a time in the order they arrived, while the
    socket keeps being read: a message's scan starts as soon as its frame is read, so it
    runs while the frames before it are still being stored. Answers stay in order."""

    def __init__(
        self, services: Services, conn: Connection, identity: Identity, max_text_chars: int
    ) -> None:
        self._services = services
        self._conn = conn
        self._identity = identity
        self._max_text_chars = max_text_chars
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue(maxsize=PIPELINE_DEPTH)
        self._worker = asyncio.create_task(self._run(), name=f"frames-{conn.id}")

    async def put_text(self, data: str) -> None:
        """Queue a text frame (waits while PIPELINE_DEPTH frames are queued: TCP pushes
        back on the client) and start its scan if it is a message with text."""
        started = time.perf_counter()
        scan = None
        command: Command | ProtocolError
        try:
            command = parse_command(data, max_text_chars=self._max_text_chars)
        except ProtocolError as exc:
            command = exc
        else:
            text = command.text if isinstance(command, MessageSend) else None
            if text is not None and self._identity.role in (Role.CUSTOMER, Role.AGENT):
                scan = asyncio.create_task(
                    self._services.scanner.scan(text, None), name="scan-ahead"
                )
        await self._queue.put((started, command, scan))

    async def put_frame(self, frame: dict[str, Any]) -> None:
        """Queue a frame to send once the frames before it were answered."""
        await self._queue.put(frame)

    async def finish(self) -> None:
        """Handle everything queued, then stop (at once if already stopped)."""
        if self._worker.done():
            return
        await self._queue.put(None)
        await self._worker

    def abandon(self) -> None:
        """Stop now (the server is going away): queued frames are dropped, unanswered."""
        self._worker.cancel()
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if isinstance(item, tuple) and item[2] is not None:
                drop_task(item[2])

    async def _run(self) -> None:
        while (item := await self._queue.get()) is not None:
            if isinstance(item, dict):
                self._conn.send(item)
                continue
            started, command, scan = item
            await _handle(self._services, self._conn, self._identity, command, started, scan)


async def _handle(
    services: Services,
    conn: Connection,
    identity: Identity,
    command: Command | ProtocolError,
    started: float,
    scan: _Scan | None,
) -> None:
    ref: str | None = None
    try:
        if isinstance(command, ProtocolError):
            raise command
        ref = getattr(command, "client_id", None)
        await dispatch(services, conn, identity, command, scan=scan)
        if ref is not None:
            services.metrics.send_latency.observe(time.perf_counter() - started)
    except ProtocolError as exc:
        services.metrics.frames_rejected.labels(exc.code).inc()
        conn.send(exc.to_frame())
    except ChatError as exc:
        services.metrics.frames_rejected.labels(exc.code).inc()
        exc.ref = exc.ref or ref
        conn.send(exc.to_frame())
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("unexpected error handling a frame")
        services.metrics.errors.labels("ws").inc()
        conn.send(ErrorOut(code="internal_error", message="internal error", ref=ref).frame())
