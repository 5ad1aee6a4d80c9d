"""GET /ws: check Origin and token before upgrading, then the receive loop.

Every frame is parsed into a typed command (protocol/commands.py) and handed to one
action; a frame that cannot be accepted gets an `error` frame with its `ref`. Frames are
counted in the customer's bucket, shared by all its sockets (net/rates.py); abuse
(floods) closes with 1008, oversized frames with 1009 (aiohttp's max_msg_size). An
unexpected exception is logged once here and never reaches other connections.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time

from aiohttp import WSCloseCode, WSMsgType, web
from pymongo.errors import PyMongoError

from chat_service import keys
from chat_service.actions import consent as consent_actions
from chat_service.actions import customer_lang
from chat_service.auth import Identity, Role
from chat_service.errors import ChatError, OriginNotAllowed, ProtocolError, RateLimited
from chat_service.fanout import Connection
from chat_service.net.rates import FrameGate, Refusal, identity_key
from chat_service.net.sockets import abort_transport
from chat_service.protocol.commands import Command, MessageSend, parse_command
from chat_service.protocol.events import CustomerConversationOut, ErrorOut, Hello
from chat_service.services import Services
from chat_service.ws.closing import LingeringWebSocket
from chat_service.ws.dispatch import dispatch
from chat_service.ws.origin import origin_allowed

logger = logging.getLogger(__name__)

SUBPROTOCOL = "chat-service.v1"
TOKEN_PROTOCOL_PREFIX = "bearer."  # noqa: S105  # a prefix, not a secret
HELLO_CONVERSATIONS = 10  # a customer's most recent conversations listed in `hello`
WRITER_LIMIT_BYTES = 64 * 1024


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
    if not origin_allowed(request, origin, request.app[keys.SETTINGS].config.server):
        raise OriginNotAllowed()


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    app = request.app
    _check_origin(request)
    identity = app[keys.TOKENS].verify(_token_from(request) or "")
    # the widget's language (docs/inbox.md): kept on the customer's open conversation
    identity = customer_lang.socket_identity(identity, request.query.get("lang"))
    settings = app[keys.SETTINGS]
    limits = settings.config.limits
    ws = LingeringWebSocket(
        heartbeat=settings.config.server.heartbeat_secs,
        max_msg_size=limits.max_frame_bytes,
        protocols=(SUBPROTOCOL,),
        # aiohttp waits for the transport to drain only after this much output: at its
        # default (256 KiB) a frame smaller than that is never waited for, so a peer that
        # does not read could not hit the send timeout.
        writer_limit=WRITER_LIMIT_BYTES,
    )
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport else None
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
        send_timeout_secs=limits.send_timeout_secs,
        abort=lambda: abort_transport(transport),
    )
    registry = app[keys.REGISTRY]
    cap = settings.config.connections.max_sockets_per_customer
    if identity.role is Role.CUSTOMER and not await _socket_allowed(app, conn, cap):
        metrics.policy_closes.labels("customer_socket_cap").inc()
        await conn.close(
            WSCloseCode.POLICY_VIOLATION, f"too many open sockets for this customer (max {cap})"
        )
        return ws
    registry.add(conn)
    conn.start()
    expiry = _close_at_expiry(conn, identity)
    metrics.connections.labels(identity.role.value).inc()
    try:
        async with app[keys.RATES].turn(identity):  # the store reads `hello` needs
            conn.send(
                Hello(
                    role=identity.role.value,
                    sub=identity.sub,
                    heartbeat_secs=settings.config.server.heartbeat_secs,
                    conversations=await _customer_conversations(app, identity),
                ).frame()
            )
            if identity.role is Role.CUSTOMER:
                await _send_open_requests(app, conn, identity)
                if "lang" in request.query:
                    await _keep_lang(app, identity)
        await _receive_loop(app, conn, identity)
    finally:
        if expiry is not None:
            expiry.cancel()
        registry.remove(conn)
        shared = app[keys.RATES].shared
        if shared is not None and identity.role is Role.CUSTOMER:
            shared.close_socket(conn.id)
        metrics.connections.labels(identity.role.value).dec()
        await conn.stop()
        await ws.linger()  # the client reads our close frame before the connection ends
        if transport is not None and transport.get_write_buffer_size():
            # Ended with output the peer never took (a heartbeat nobody answered, say):
            # a plain close would wait for it to drain, which it never does.
            abort_transport(transport)
    return ws


async def _socket_allowed(app: web.Application, conn: Connection, cap: int) -> bool:
    """Whether a customer's new socket stays under the cap: on this instance, and with
    REDIS_URL over every instance (net/global_limits.py; this instance's count alone
    while Redis does not answer)."""
    if app[keys.REGISTRY].count(conn.identity) >= cap:
        return False
    shared = app[keys.RATES].shared
    if shared is None:
        return True
    return await shared.open_socket(identity_key(conn.identity), conn.id, cap)


async def _customer_conversations(
    app: web.Application, identity: Identity
) -> list[CustomerConversationOut] | None:
    """A customer's most recent conversations, oldest first, for `hello`; None otherwise."""
    if identity.role is not Role.CUSTOMER:
        return None
    try:
        store = app[keys.SERVICES].store
        found = await store.conversations.list_for_customer(identity.sub, HELLO_CONVERSATIONS)
        rated = await store.outcomes.rated_among([c.id for c in found if c.status == "closed"])
    except PyMongoError:
        logger.warning("could not list the customer's conversations", exc_info=True)
        return None  # the widget falls back to the conversation it remembers
    return [
        CustomerConversationOut(
            id=c.id,
            status=c.status,
            created_at=c.created_at.isoformat(),
            closed_at=c.closed_at.isoformat() if c.closed_at else None,
            rated=c.id in rated if c.status == "closed" else None,
        )
        for c in reversed(found)
    ]


async def _keep_lang(app: web.Application, identity: Identity) -> None:
    try:
        await customer_lang.on_connect(app[keys.SERVICES], identity)
    except PyMongoError:
        logger.warning("could not keep the customer's language", exc_info=True)


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
    ws = conn.ws
    limits = app[keys.SETTINGS].config.limits
    metrics = app[keys.METRICS]
    services = app[keys.SERVICES]
    rates = app[keys.RATES]
    gate = rates.frame_gate(identity, app[keys.SETTINGS].config)
    violations = 0
    async for msg in ws:
        await conn.taken()  # a peer that does not read its answers gets no more of them
        if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
            refused: Refusal | None = None if gate.here() else "frames"
            if refused is None and msg.type is WSMsgType.BINARY:
                refused = await gate.shared(message=False)
            elif refused is None:
                async with rates.turn(identity):
                    refused = await _handle_text(
                        services, conn, identity, msg.data, limits.max_text_chars, gate
                    )
            if refused == "frames":  # refused before any answer: this is it
                metrics.frames_rejected.labels(RateLimited.code).inc()
                if violations + 1 < limits.rate_violations_before_close:
                    conn.send(RateLimited().to_frame())
            if refused is not None:
                violations += 1
                if violations >= limits.rate_violations_before_close:
                    metrics.policy_closes.labels("flood").inc()
                    conn.send(RateLimited("closing: too many frames").to_frame())
                    await conn.flush()
                    await conn.close(WSCloseCode.POLICY_VIOLATION, "flood")
                    return
                # Read nothing more for a while: a flood costs one cheap answer per pause
                # per socket instead of one per frame (TCP pushes back on the sender).
                await asyncio.sleep(limits.rate_limited_pause_secs)
                continue
            if msg.type is WSMsgType.BINARY:
                metrics.frames_rejected.labels("binary_frame").inc()
                conn.send(
                    ErrorOut(code="binary_frame", message="send JSON text frames only").frame()
                )
                continue
        elif msg.type is WSMsgType.ERROR:
            exc = ws.exception()
            logger.info(
                "socket error",
                extra={
                    "error": type(exc).__name__ if exc else None,
                    "code": getattr(exc, "code", None),
                },
            )
            metrics.policy_closes.labels("protocol_error").inc()
            return


async def _handle_text(
    services: Services,
    conn: Connection,
    identity: Identity,
    data: str,
    max_text_chars: int,
    gate: FrameGate,
) -> Refusal | None:
    """Handle one text frame whose frame token this instance's own bucket gave; the
    limit it was refused for, if it was (a refusal for `frames` is not answered here)."""
    started = time.perf_counter()
    ref: str | None = None
    try:
        try:
            command: Command | None = parse_command(data, max_text_chars=max_text_chars)
            malformed: ProtocolError | None = None
        except ProtocolError as exc:  # answered once the frame's cost is known
            command, malformed = None, exc
        ref = getattr(command, "client_id", None)
        refused = await gate.shared(message=isinstance(command, MessageSend))
        if refused == "frames":
            return refused
        if refused == "messages":
            raise RateLimited("too many messages from this customer; slow down", ref=ref)
        if malformed is not None:
            raise malformed
        assert command is not None  # noqa: S101  # parsed, or malformed was raised
        await dispatch(services, conn, identity, command)
        if ref is not None:
            services.metrics.send_latency.observe(time.perf_counter() - started)
    except ProtocolError as exc:
        services.metrics.frames_rejected.labels(exc.code).inc()
        conn.send(exc.to_frame())
    except ChatError as exc:
        services.metrics.frames_rejected.labels(exc.code).inc()
        exc.ref = exc.ref or ref
        conn.send(exc.to_frame())
        return "messages" if isinstance(exc, RateLimited) else None
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("unexpected error handling a frame")
        services.metrics.errors.labels("ws").inc()
        conn.send(ErrorOut(code="internal_error", message="internal error", ref=ref).frame())
    return None
