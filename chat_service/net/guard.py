"""Connection hygiene below HTTP: caps and timeouts for every TCP connection.

aiohttp gives an idle timeout (`keepalive_timeout`, armed from the moment a connection is
made, so it also ends connections that never send a request) and size limits on request
lines and headers. This module adds what it lacks, in its own request handler (the
protocol object asyncio creates per accepted connection), so a connection is judged before
a byte of it is read:

- a cap per IP address and a total cap (the open-file limit minus a reserve kept for the
  store, the detection workers and uploads); at the total cap a new connection replaces
  the oldest one that has not sent a complete request yet, or is reset if there is none,
  so idle floods cannot lock out `/healthz` or an authenticated customer;
- a header timeout (from a request's first byte until its headers are complete), a
  body timeout (from the headers until the body has arrived) and a minimum body rate
  (after a grace period, a body averaging fewer bytes a second than the minimum since its
  headers is cut short): slow-trickle connections are closed instead of being held for
  ever, a slow but honest upload is not.

`GuardedAppRunner` is `web.AppRunner` with this handler; `chat-service serve` uses it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any, Final, override

from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler

from chat_service import keys
from chat_service.errors import RequestTimeout
from chat_service.metrics import Metrics
from chat_service.net.sockets import EveryInterval, abort_transport, fd_soft_limit
from chat_service.settings import ConnectionsSection

RATE_CHECK_SECS: Final = 1.0  # after the grace period, a body's rate is checked this often


class ConnectionGuard:
    """Counts open connections per IP and in total; decides who may come in."""

    def __init__(self, section: ConnectionsSection, fd_limit: int, metrics: Metrics) -> None:
        self.section = section
        self.max_total = max(fd_limit - section.fd_reserve, 1)
        self._metrics = metrics
        self._per_ip: dict[str, int] = {}
        self._open: dict[GuardedRequestHandler, str] = {}
        # Connections without a complete request yet, oldest first: the ones replaced when
        # the total cap is reached (a connection's first request is a few hundred bytes).
        self._waiting: OrderedDict[GuardedRequestHandler, None] = OrderedDict()
        self._refusals = EveryInterval(
            "connections refused or replaced", section.refusal_log_interval_secs
        )

    def __len__(self) -> int:
        return len(self._open)

    def per_ip(self, ip: str) -> int:
        return self._per_ip.get(ip, 0)

    def admit(self, handler: GuardedRequestHandler, ip: str) -> bool:
        cap = self.section.max_per_ip
        if cap and self._per_ip.get(ip, 0) >= cap:
            self._refuse("per_ip")
            return False
        if len(self._open) >= self.max_total:
            oldest = next(iter(self._waiting), None)
            if oldest is None:
                self._refuse("fd_reserve")
                return False
            self._refuse("replaced")
            oldest.drop()
        self._open[handler] = ip
        self._per_ip[ip] = self._per_ip.get(ip, 0) + 1
        self._waiting[handler] = None
        self._metrics.tcp_connections.set(len(self._open))
        return True

    def request_started(self, handler: GuardedRequestHandler) -> None:
        self._waiting.pop(handler, None)

    def release(self, handler: GuardedRequestHandler) -> None:
        self._waiting.pop(handler, None)
        ip = self._open.pop(handler, None)
        if ip is None:
            return
        left = self._per_ip[ip] - 1
        if left:
            self._per_ip[ip] = left
        else:
            del self._per_ip[ip]
        self._metrics.tcp_connections.set(len(self._open))

    def timed_out(self, phase: str) -> None:
        self._metrics.connection_timeouts.labels(phase).inc()

    def _refuse(self, reason: str) -> None:
        self._metrics.connections_refused.labels(reason).inc()
        self._refusals.note(reason=reason, open=len(self._open), max_total=self.max_total)


class GuardedRequestHandler(RequestHandler):
    """aiohttp's per-connection protocol, admitted by the guard and under two timeouts."""

    def __init__(self, manager: web.Server, *, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._guard = guard
        self._admitted = False
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._rate_timer: asyncio.TimerHandle | None = None
        self._body: StreamReader | None = None
        self._body_started = 0.0

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        ip = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if not self._guard.admit(self, ip):
            abort_transport(transport)  # before reading anything: a reset, no buffers
            return
        self._admitted = True
        super().connection_made(transport)

    @override
    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_timers()
        self._body = None
        if not self._admitted:
            return  # refused in connection_made: aiohttp never saw this connection
        self._guard.release(self)  # (already done if it was replaced)
        super().connection_lost(exc)

    @override
    def data_received(self, data: bytes) -> None:
        if not self._admitted:
            return
        requests_before = self._request_count
        if data and self._header_timer is None and self._reading_headers():
            self._header_timer = self._loop.call_later(
                self._guard.section.header_timeout_secs, self._headers_late, requests_before
            )
        super().data_received(data)
        if self._request_count == requests_before:
            return
        # A complete request line and headers arrived: the body (if any) is next.
        self._guard.request_started(self)
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        payload = self._messages[-1][1] if self._messages else None
        if isinstance(payload, StreamReader) and not payload.is_eof():
            if self._body_timer is not None:
                self._body_timer.cancel()
            self._body = payload
            self._body_started = self._loop.time()
            section = self._guard.section
            self._body_timer = self._loop.call_later(
                section.body_timeout_secs, self._body_late, payload, "body"
            )
            if self._rate_timer is not None:
                self._rate_timer.cancel()
                self._rate_timer = None
            if section.body_min_bytes_per_sec:
                self._rate_timer = self._loop.call_later(
                    section.body_rate_grace_secs, self._check_rate, payload
                )

    def drop(self) -> None:
        """Replaced by a newer connection: let it go and reset it now."""
        self._guard.release(self)
        self._cancel_timers()
        abort_transport(self.transport)

    def _reading_headers(self) -> bool:
        """True between requests: not upgraded to a WebSocket, no body being received."""
        if self._upgraded or self._payload_parser is not None:
            return False
        return self._body is None or self._body.is_eof()

    def _headers_late(self, requests_before: int) -> None:
        self._header_timer = None
        if self._request_count == requests_before and self.transport is not None:
            self._guard.timed_out("header")
            abort_transport(self.transport)

    def _check_rate(self, payload: StreamReader) -> None:
        """Cuts a body short that averages below the minimum rate since its headers, unless
        the slowness is the handler's (it has not read what arrived: reading is paused)."""
        self._rate_timer = None
        if payload.is_eof() or self.transport is None or payload is not self._body:
            return
        section = self._guard.section
        elapsed = self._loop.time() - self._body_started
        handler_behind = self._reading_paused or payload._size > 0
        if not handler_behind and payload.total_bytes < section.body_min_bytes_per_sec * elapsed:
            self._body_late(payload, "body_rate")
            return
        self._rate_timer = self._loop.call_later(
            min(RATE_CHECK_SECS, section.body_rate_grace_secs), self._check_rate, payload
        )

    def _body_late(self, payload: StreamReader, phase: str) -> None:
        self._cancel_timers()
        if payload.is_eof() or self.transport is None:
            return
        self._guard.timed_out(phase)
        # The handler reading the body gets a 408 answer; nothing more is read from this
        # connection, and it is closed once that answer is written (or reset if the peer
        # does not take it either).
        payload.set_exception(RequestTimeout())
        payload.feed_eof()
        self.close()
        self._body_timer = self._loop.call_later(
            self._guard.section.header_timeout_secs, self._abort_if_open
        )

    def _abort_if_open(self) -> None:
        self._body_timer = None
        abort_transport(self.transport)

    def _cancel_timers(self) -> None:
        for timer in (self._header_timer, self._body_timer, self._rate_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._body_timer = self._rate_timer = None


class GuardedServer(web.Server):
    """aiohttp's low-level server, creating guarded handlers."""

    def __init__(self, inner: web.Server, guard: ConnectionGuard) -> None:
        super().__init__(
            inner.request_handler,
            request_factory=inner.request_factory,
            handler_cancellation=inner.handler_cancellation,
            loop=inner._loop,
            **inner._kwargs,
        )
        self.guard = guard

    @override
    def __call__(self) -> RequestHandler:
        return GuardedRequestHandler(self, guard=self.guard, loop=self._loop, **self._kwargs)


class GuardedAppRunner(web.AppRunner):
    """`web.AppRunner` whose connections go through a `ConnectionGuard`; the idle timeout
    (`[connections] idle_timeout_secs`) is aiohttp's keep-alive timeout.

    aiohttp rounds a WebSocket's heartbeat and pong deadlines up to a whole second of the
    loop's clock when they are longer than the handler's `timeout_ceil_threshold` (5 s by
    default): with `heartbeat_secs` = 20, every idle socket's ping fell due at a whole
    second, so thousands of sockets were pinged (and their pongs read) in one burst each
    second while active customers' messages waited behind it. A threshold of the heartbeat
    keeps each socket's own deadline (the threshold is read only by the heartbeat)."""

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        config = app[keys.SETTINGS].config
        section = config.connections
        kwargs.setdefault("keepalive_timeout", section.idle_timeout_secs)
        kwargs.setdefault("timeout_ceil_threshold", config.server.heartbeat_secs)
        super().__init__(app, **kwargs)
        self.guard = ConnectionGuard(section, fd_soft_limit(), app[keys.METRICS])

    @override
    async def _make_server(self) -> web.Server:
        return GuardedServer(await super()._make_server(), self.guard)
