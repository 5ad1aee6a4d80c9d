"""Socket-level helpers: abort a peer we gave up on, raise the descriptor limit, and log
floods of the same failure as one line per interval (see README.md in this package)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
import struct
import time
from typing import Any

logger = logging.getLogger(__name__)

_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST at once


def abort_transport(transport: asyncio.BaseTransport | None) -> None:
    """Close now, discarding what is buffered, in the process and in the kernel.

    `transport.close()` waits until the write buffer drains, which for a peer that never
    reads is never; `abort()` drops the process's buffer, and SO_LINGER 0 makes the
    kernel drop its send queue too and answer with a reset instead of holding the data
    for a peer that will not take it."""
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    if isinstance(transport, asyncio.WriteTransport):
        transport.abort()
    else:
        transport.close()


def raise_fd_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            logger.warning("could not raise the open-file limit", extra={"soft": soft})
    return soft


def fd_soft_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class EveryInterval:
    """Counts events and logs one line per interval at most (the first one at once)."""

    def __init__(self, message: str, interval_secs: float, level: int = logging.WARNING) -> None:
        self._message = message
        self._interval_secs = interval_secs
        self._level = level
        self._last = -float("inf")
        self._suppressed = 0

    def note(self, **fields: Any) -> None:
        now = time.monotonic()
        if now - self._last < self._interval_secs:
            self._suppressed += 1
            return
        logger.log(
            self._level,
            self._message,
            extra={**fields, "suppressed": self._suppressed, "interval_secs": self._interval_secs},
        )
        self._last = now
        self._suppressed = 0


ACCEPT_FAILED = "socket.accept() out of system resource"


def install_accept_error_limiter(
    loop: asyncio.AbstractEventLoop, interval_secs: float
) -> EveryInterval:
    """asyncio logs every failed accept() (EMFILE: out of descriptors) through the loop's
    exception handler with a traceback, up to a hundred a tick: turn those into one line
    per interval, and leave every other context to the handler that was there."""
    limiter = EveryInterval("accept() failed: out of descriptors or memory", interval_secs)
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") == ACCEPT_FAILED:
            exc = context.get("exception")
            limiter.note(errno=getattr(exc, "errno", None))
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    return limiter
