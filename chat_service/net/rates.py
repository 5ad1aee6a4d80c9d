"""Token buckets shared by key (a customer, an IP address), in a bounded table.

`BucketTable.take(key)` spends one token of that key's bucket (`rate` tokens a second, at
most `burst` kept). A bucket that has refilled to `burst` is the same as a fresh one, so
it is forgotten once idle that long; the table never holds more than `max_keys` buckets
(the least recently used goes first), so an attacker cycling through addresses or
subjects cannot grow it: at worst a forgotten key starts again with a full bucket.

`Rates` holds the server's tables (chat_service/net/README.md): a customer's frames and
its messages over all its sockets, a customer's HTTP writes, and failed authentications per client
address (read as `client_address` reads it: forwarded headers only from
`server.trusted_proxies`), and `Turns`: how many of a customer's frames are handled at
once, whatever the number of its sockets (the others wait their turn, unread). With
`REDIS_URL` (`shared`: global_limits.py) a customer's frames, messages, HTTP writes and
sockets are counted over every instance as well; its own tables are asked first and decide alone
while Redis does not answer.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from chat_service.auth import Identity, Role
from chat_service.net.global_limits import Bucket, GlobalLimits
from chat_service.settings import ServerConfig


class TokenBucket:
    """One caller's bucket (a staff member's socket keeps one of its own)."""

    __slots__ = ("_burst", "_clock", "_last", "_rate", "_tokens")

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._last = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def idle_since(self) -> float:
        return self._last


class BucketTable:
    """Buckets by key, least recently used first; bounded in time and in size."""

    def __init__(
        self,
        rate: float,
        burst: int,
        max_keys: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._max_keys = max_keys
        self._clock = clock
        self._refill_secs = burst / rate  # idle this long: full again, nothing to keep
        self._buckets: collections.OrderedDict[str, TokenBucket] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> bool:
        """Spend one of `key`'s tokens; False when it has none left (refuse the request)."""
        self._forget_idle()
        bucket = self._buckets.get(key)
        if bucket is None:
            while len(self._buckets) >= self._max_keys:
                self._buckets.popitem(last=False)
            bucket = self._buckets[key] = TokenBucket(self._rate, self._burst, self._clock)
        else:
            self._buckets.move_to_end(key)
        return bucket.take()

    def _forget_idle(self) -> None:
        horizon = self._clock() - self._refill_secs
        while self._buckets:
            key, oldest = next(iter(self._buckets.items()))
            if oldest.idle_since() > horizon:
                return
            del self._buckets[key]


class Turns:
    """At most `limit` holders per key at a time; the others wait in order of arrival. A
    key is in the table only while someone holds or waits for a turn (bounded by the
    sockets open)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._held: dict[str, int] = {}
        self._waiting: dict[str, collections.deque[asyncio.Future[None]]] = {}

    def __len__(self) -> int:
        return len(self._held)

    def waiting(self, key: str) -> int:
        """How many wait for a turn of `key`."""
        return len(self._waiting.get(key, ()))

    @contextlib.asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        if self._held.get(key, 0) < self._limit and not self._waiting.get(key):
            self._held[key] = self._held.get(key, 0) + 1
        else:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            waiters = self._waiting.setdefault(key, collections.deque())
            waiters.append(waiter)
            try:
                await waiter  # woken with the turn of whoever left (the count is kept)
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._release(key)  # handed a turn it will not use: pass it on
                else:
                    with contextlib.suppress(ValueError):
                        waiters.remove(waiter)
                    if not waiters and self._waiting.get(key) is waiters:
                        del self._waiting[key]
                raise
        try:
            yield
        finally:
            self._release(key)

    def _release(self, key: str) -> None:
        waiters = self._waiting.get(key)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                if not waiters:
                    del self._waiting[key]
                waiter.set_result(None)
                return
        self._waiting.pop(key, None)
        held = self._held[key] - 1
        if held:
            self._held[key] = held
        else:
            del self._held[key]


Refusal = Literal["frames", "messages"]


class FrameGate(Protocol):
    """A socket's frame limits, asked in two steps: `here` before the frame is read (this
    instance's table: a flood is refused without parsing it or asking Redis), then
    `shared` once it is known whether the frame is a message.send (one Redis round trip
    for both of a message's buckets)."""

    def here(self) -> bool:
        """A frame token from this instance's own bucket."""
        ...

    async def shared(self, message: bool) -> Refusal | None:
        """The rest of the frame's cost (with `message`, a message token too): None when
        the frame may be handled, else the limit it is over."""
        ...


class StaffFrames:
    """A staff member's socket: a frame bucket of its own, nothing shared."""

    def __init__(self, bucket: TokenBucket) -> None:
        self._bucket = bucket

    def here(self) -> bool:
        return self._bucket.take()

    async def shared(self, message: bool) -> Refusal | None:
        return None


class CustomerFrames:
    """A customer's socket: the customer's buckets, on this instance, then in Redis."""

    def __init__(self, rates: Rates, key: str) -> None:
        self._rates = rates
        self._key = key

    def here(self) -> bool:
        return self._rates.customer_frames.take(self._key)

    async def shared(self, message: bool) -> Refusal | None:
        rates = self._rates
        refused_here = message and not rates.customer_messages.take(self._key)
        if rates.shared is None:
            return "messages" if refused_here else None
        buckets: list[tuple[Bucket, float, int]] = [
            ("frames", rates.frames_per_sec, rates.frame_burst)
        ]
        if message and not refused_here:
            buckets.append(("messages", rates.messages_per_sec, rates.message_burst))
        taken = await rates.shared.take_all(self._key, buckets)
        if taken == 0:
            return "frames"
        return "messages" if refused_here or taken < len(buckets) else None


def identity_key(identity: Identity) -> str:
    return f"{identity.role.value}:{identity.sub}"


@dataclass(frozen=True, slots=True)
class Rates:
    """The server's shared buckets (one set per application)."""

    customer_frames: BucketTable
    customer_messages: BucketTable
    customer_writes: BucketTable
    failed_auth: BucketTable
    customer_turns: Turns = field(default_factory=lambda: Turns(1))
    shared: GlobalLimits | None = None  # with REDIS_URL: the customers' limits over instances
    frames_per_sec: float = 1.0
    frame_burst: int = 1
    messages_per_sec: float = 1.0
    message_burst: int = 1
    writes_per_sec: float = 1.0
    write_burst: int = 1

    @classmethod
    def from_config(
        cls,
        config: ServerConfig,
        clock: Callable[[], float] = time.monotonic,
        shared: GlobalLimits | None = None,
    ) -> Rates:
        limits, rates = config.limits, config.rates
        return cls(
            shared=shared,
            frames_per_sec=limits.frames_per_sec,
            frame_burst=limits.frame_burst,
            messages_per_sec=limits.messages_per_sec,
            message_burst=limits.message_burst,
            writes_per_sec=rates.customer_writes_per_sec,
            write_burst=rates.customer_write_burst,
            customer_frames=BucketTable(
                limits.frames_per_sec, limits.frame_burst, rates.max_keys, clock
            ),
            customer_messages=BucketTable(
                limits.messages_per_sec, limits.message_burst, rates.max_keys, clock
            ),
            customer_writes=BucketTable(
                rates.customer_writes_per_sec, rates.customer_write_burst, rates.max_keys, clock
            ),
            failed_auth=BucketTable(
                rates.failed_auth_per_sec, rates.failed_auth_burst, rates.max_keys, clock
            ),
            customer_turns=Turns(limits.frames_in_flight_per_customer),
        )

    def frame_gate(self, identity: Identity, config: ServerConfig) -> FrameGate:
        """What a socket's frames spend: its customer's frame bucket (and for a
        message.send its message bucket), shared by all of that customer's sockets (on
        every instance, with `shared`); a staff member's socket keeps a frame bucket of its
        own and its messages are limited by their frames alone."""
        if identity.role is Role.CUSTOMER:
            return CustomerFrames(self, identity_key(identity))
        return StaffFrames(TokenBucket(config.limits.frames_per_sec, config.limits.frame_burst))

    async def take_customer_write(self, identity: Identity) -> bool:
        """A customer's HTTP write (http/middleware.py) spends a token of its write bucket,
        on every instance with `shared`; staff's writes are not counted."""
        return await self._take_customer(
            identity, self.customer_writes, "customer_writes", self.writes_per_sec, self.write_burst
        )

    async def _take_customer(
        self, identity: Identity, table: BucketTable, limit: Bucket, rate: float, burst: int
    ) -> bool:
        """This instance's table first (a refusal costs no round trip), then the bucket
        shared over instances."""
        if identity.role is not Role.CUSTOMER:
            return True
        key = identity_key(identity)
        if not table.take(key):
            return False
        if self.shared is None:
            return True
        return await self.shared.take(limit, key, rate, burst)

    def turn(self, identity: Identity) -> contextlib.AbstractAsyncContextManager[None]:
        """Held while one frame is handled, or a new socket's `hello` is read from the
        store: a customer's work takes turns (at most `frames_in_flight_per_customer` at
        once over all its sockets), so fifteen sockets opened at once queue behind each
        other, not in front of other customers; staff's do not."""
        if identity.role is Role.CUSTOMER:
            return self.customer_turns.turn(identity_key(identity))
        return contextlib.nullcontext()
