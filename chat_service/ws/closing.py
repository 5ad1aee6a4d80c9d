"""A WebSocket response that, after a protocol error, keeps the connection open until the
client has read the close frame.

When a frame breaks the protocol (over the size limit: 1009; invalid UTF-8: 1007), aiohttp
sends the close frame and then closes the TCP connection at once, without waiting for the
client's own close. Input is often still unread at that moment (the rest of the oversized
frame, frames the client sent after it), and closing a socket with unread input makes the
kernel answer with a reset, which discards the output the client has not read yet: the
close frame with its code, and the answers before it. The client sees 1006 and cannot
tell why it was closed.

Here the connection stays open instead, as the closing handshake (RFC 6455, 7.1.1) and
web servers' lingering close would have it: after its receive loop the handler waits
(`linger`) for the client to end the connection, at most `LINGER_SECS`, while whatever the
client still sends is read and dropped; then it closes it. A clean handshake (the
client's close frame received) closes at once, as before, and a peer given up on is still
aborted at once (fanout.Connection.give_up), and a peer that did not answer the heartbeat
(no close frame is sent to a dead peer) is closed at once.
"""

from __future__ import annotations

import asyncio

from aiohttp import WSCloseCode, web
from aiohttp.abc import AbstractStreamWriter

LINGER_SECS = 3.0  # a slow mobile network reads a close frame well within this
_POLL_SECS = 0.05


class LingeringWebSocket(web.WebSocketResponse):
    """aiohttp (3.14, pinned) ends every connection through `_set_code_close_transport`
    or `_close_transport`; an abnormal end (1006: the client's close never read) lingers."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._transport: asyncio.Transport | None = None
        self._close_sent = False
        self._abnormal_end = False
        self.lingering = False

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter:
        transport = request.transport
        self._transport = transport if isinstance(transport, asyncio.Transport) else None
        return await super().prepare(request)

    async def close(
        self, *, code: int = WSCloseCode.OK, message: bytes = b"", drain: bool = True
    ) -> bool:
        self._close_sent = True  # (a heartbeat nobody answered ends without a close frame)
        return await super().close(code=code, message=message, drain=drain)

    def _set_code_close_transport(self, code: WSCloseCode) -> None:
        # The client's close never read after ours was sent: a protocol error, or no answer.
        self._abnormal_end = self._close_sent and code == WSCloseCode.ABNORMAL_CLOSURE
        super()._set_code_close_transport(code)

    def _close_transport(self) -> None:
        transport = self._transport
        if self._abnormal_end and transport is not None and not transport.is_closing():
            self.lingering = True  # closed by `linger`, once the client has read
            return
        super()._close_transport()

    async def linger(self) -> None:
        """Wait until the client ends the connection (the transport closes on its EOF) or
        `LINGER_SECS` pass; then close it."""
        transport = self._transport
        if not self.lingering or transport is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LINGER_SECS
        # Only the transport's protocol (aiohttp's) hears of its end: polled, for seconds.
        while not transport.is_closing() and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(_POLL_SECS)
        self.lingering = False
        transport.close()
