"""A memory budget for the work an upload does in the server's memory (decoding and
re-encoding a picture, parsing and rewriting a PDF, checking a text file; sanitize.py): a
weighted, first-come-first-served async semaphore.

Each upload is charged, before anything is decoded, an estimate of the bytes it will hold at
its peak (`sanitize.memory_cost`: a picture's pixels from its header times the copies
sanitising keeps at once; a PDF or a text file a multiple of its size). The scan that
follows runs in the detection workers, bounded there by the pool's document slots and by
`ocr_max_pixels`. It waits while the budget
cannot take it, in arrival order (a large charge at the head is not overtaken by small ones,
so it is never starved), for at most `wait_secs`; past that the upload is answered
503 `server_busy` with a Retry-After. A charge larger than the whole budget is lowered to
the budget: such an upload runs alone. The charge is given back when the work ends, whether
it succeeded, failed or was cancelled (the client went away).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Final

from chat_service.errors import ChatError

# Pillow keeps every pixel of the modes we decode into in 4 bytes (RGB too) or 1 (L, 1, P);
# 4 is charged whatever the mode: a header's mode is not always the decoded one.
BYTES_PER_PIXEL: Final = 4
# Full copies of the pixels alive at once while sanitising: the decoded picture (or its
# converted or turned copy) and the bare copy being built (sanitize._bare_pixels).
PIXEL_COPIES: Final = 2
# A PDF's objects, their parsed form and the rewritten output: a few times its size.
PDF_BYTES_PER_BYTE: Final = 8
# A text file decoded to str takes up to 4 bytes a character, and is copied while checked.
TEXT_BYTES_PER_BYTE: Final = 5
# The charge of an upload whose cost cannot be told before decoding (`charge_for` caps it
# at the capacity): it runs alone, so an unknown can never take more than the budget.
WHOLE_BUDGET: Final = 2**62


class ServerBusy(ChatError):
    code = "server_busy"
    http_status = 503
    default_message = "the server is busy reading other uploads: try again in a moment"

    def __init__(self, message: str | None = None, *, retry_after_secs: int = 1) -> None:
        super().__init__(message)
        self.retry_after_secs = retry_after_secs


def image_bytes(width: int, height: int) -> int:
    return width * height * BYTES_PER_PIXEL * PIXEL_COPIES


@dataclass(slots=True)
class _Waiter:
    weight: int
    ready: asyncio.Future[None]


class MemoryBudget:
    """At most `capacity_bytes` charged at once; waiters served strictly in arrival order."""

    def __init__(
        self,
        capacity_bytes: int,
        wait_secs: float,
        on_change: Callable[[int, int], None] | None = None,
    ) -> None:
        if capacity_bytes <= 0:
            raise ValueError("a memory budget needs a positive capacity")
        self.capacity_bytes = capacity_bytes
        self.wait_secs = wait_secs
        self.in_use_bytes = 0
        self.peak_bytes = 0  # the most ever charged at once (for tests and benchmarks)
        self.running = 0
        self.peak_running = 0
        self._waiters: collections.deque[_Waiter] = collections.deque()
        self._on_change = on_change

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def charge_for(self, weight: int) -> int:
        return max(1, min(weight, self.capacity_bytes))

    @contextlib.asynccontextmanager
    async def hold(self, weight: int) -> AsyncIterator[int]:
        """Hold `weight` bytes (at most the capacity) for the block; yields the charge."""
        charge = self.charge_for(weight)
        await self._acquire(charge)
        try:
            yield charge
        finally:
            self._release(charge)

    async def _acquire(self, charge: int) -> None:
        if not self._waiters and self.in_use_bytes + charge <= self.capacity_bytes:
            self._take(charge)
            return
        waiter = _Waiter(charge, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        self._changed()
        try:
            async with asyncio.timeout(self.wait_secs):
                await waiter.ready
        except TimeoutError:
            self._abandon(waiter)
            raise ServerBusy(retry_after_secs=max(1, math.ceil(self.wait_secs))) from None
        except BaseException:  # cancelled: the client went away, or the server stops
            self._abandon(waiter)
            raise

    def _abandon(self, waiter: _Waiter) -> None:
        if waiter.ready.done() and not waiter.ready.cancelled():
            # Granted just as the wait ended: give it back to whoever is next.
            self._release(waiter.weight)
            return
        self._waiters.remove(waiter)
        self._wake()  # a large waiter leaving the head may let smaller ones in
        self._changed()

    def _take(self, charge: int) -> None:
        self.in_use_bytes += charge
        self.running += 1
        self.peak_bytes = max(self.peak_bytes, self.in_use_bytes)
        self.peak_running = max(self.peak_running, self.running)
        self._changed()

    def _release(self, charge: int) -> None:
        self.in_use_bytes -= charge
        self.running -= 1
        self._wake()
        self._changed()

    def _wake(self) -> None:
        while self._waiters:
            head = self._waiters[0]
            if self.in_use_bytes + head.weight > self.capacity_bytes:
                return
            self._waiters.popleft()
            self._take(head.weight)
            head.ready.set_result(None)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self.in_use_bytes, len(self._waiters))
