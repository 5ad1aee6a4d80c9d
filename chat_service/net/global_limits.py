"""Per-customer limits counted across instances, in Redis (REDIS_URL set).

A customer behind a load balancer may hold sockets on every instance; counted per process,
it would get N times its share. With `REDIS_URL` the per-customer frame and message
buckets, the bucket of its HTTP writes (http/middleware.py) and the socket cap are kept
in Redis, next to the fan-out's channel (fanout_redis.py), each decision one atomic
script:

- a bucket is a hash {at, tokens} refilled from Redis's own clock (`TIME`: instances'
  clocks never disagree), expiring once idle long enough to be full again;
- a customer's sockets are a hash {socket id: instance id}; an instance keeps a key of its
  own alive (`INSTANCE_TTL_SECS`, renewed every `HEARTBEAT_SECS`) and the sockets of an
  instance whose key is gone (killed -9, cut off) stop counting at the next open: within
  `INSTANCE_TTL_SECS`. The hash expires `auth.max_ttl_secs` after its last open (no socket
  outlives its token).

The local tables (rates.py) are checked first and stay authoritative when Redis is not:
a frame the instance's own bucket refuses never costs a round trip, and when Redis does not
answer within `call_timeout_secs` (`[limits] shared_limits_timeout_secs`), or failed less
than `RETRY_SECS` ago, the decision is the local one alone (fail open to per-instance
limits, never blocking the chat), counted in `chat_global_limits_fallback_total{limit}`
and logged once per `LOG_INTERVAL_SECS`. A call cut at the bound is not cancelled: it runs
on in the background until Redis answers (its answer then counts in Redis: the shared
bucket saw the write, only this decision did not wait for it), so its connection goes back
to the pool intact; cancelled mid-reply, redis-py would throw the connection away and the
next call would pay a new one (a connection and its handshake, CPU on both sides). At most
`max_calls_in_flight` calls are under way at once (the pool holds that many connections
and two more for the heartbeat); a decision beyond it is the local one at once, counted as
a fallback. A call still unanswered after `LATE_ANSWER_SECS` gives up (its connection is
closed). Sockets opened or closed meanwhile are written
to Redis again by the next heartbeat that reaches it; so are all of this instance's
sockets when its key had vanished (Redis restarted empty, or this instance was cut off
longer than the key's life).

The scripts read keys they are not given (instances' keys): one Redis, not Redis Cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, TypeVar

import redis
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.driver_info import DriverInfo
from redis.exceptions import RedisError

from chat_service.metrics import Metrics
from chat_service.net.sockets import EveryInterval

logger = logging.getLogger(__name__)

KEY_PREFIX = "chat-service:limits:"
CALL_TIMEOUT_SECS = 0.1  # default wait for Redis (the server passes its configured one)
RETRY_SECS = 1.0  # after a failure, decide locally this long before asking Redis again
CONNECT_TIMEOUT_SECS = 0.5
LATE_ANSWER_SECS = 2.0  # a call left running past its bound gives up after this
MAX_CALLS_IN_FLIGHT = 32  # calls under way at once; beyond it the local decision alone
HEARTBEAT_CONNECTIONS = 2  # the pool's connections beyond the calls': heartbeat, shutdown
INSTANCE_TTL_SECS = 15.0  # a killed instance's sockets stop counting within this
HEARTBEAT_SECS = 5.0
LOG_INTERVAL_SECS = 60.0

Limit = Literal["frames", "messages", "customer_writes", "sockets"]
Bucket = Literal["frames", "messages", "customer_writes"]
T = TypeVar("T")

# KEYS the buckets, in order; ARGV rate (tokens/s) and burst of each, in the same order.
# Takes one token of each bucket in turn and stops at the first that has none; returns how
# many were taken (#KEYS: all of them). A message's frame and message buckets are one call.
BUCKET_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
for i = 1, #KEYS do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', KEYS[i], 'at', 'tokens')
  local tokens = burst
  if state[1] then
    tokens = math.min(burst, tonumber(state[2]) + (now - tonumber(state[1])) * rate / 1000)
  end
  local taken = tokens >= 1
  if taken then
    tokens = tokens - 1
  end
  redis.call('HSET', KEYS[i], 'at', now, 'tokens', tostring(tokens))
  redis.call('PEXPIRE', KEYS[i], math.ceil(burst / rate * 1000) + 1000)
  if not taken then
    return i - 1
  end
end
return #KEYS
"""

# KEYS[1] the customer's sockets; ARGV socket id, cap, instance key prefix, this instance,
# instance key ttl (ms), sockets key ttl (ms). Returns 1 when the socket may stay open.
SOCKETS_SCRIPT = """
redis.call('SET', ARGV[3] .. ARGV[4], '1', 'PX', ARGV[5])
local entries = redis.call('HGETALL', KEYS[1])
local alive = {}
local count = 0
for i = 1, #entries, 2 do
  local instance = entries[i + 1]
  local up = alive[instance]
  if up == nil then
    up = redis.call('EXISTS', ARGV[3] .. instance) == 1
    alive[instance] = up
  end
  if up then
    count = count + 1
  else
    redis.call('HDEL', KEYS[1], entries[i])
  end
end
if count >= tonumber(ARGV[2]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1
"""


class GlobalLimits:
    """The shared side of a customer's limits (rates.py asks it after its own tables)."""

    def __init__(
        self,
        url: str,
        instance_id: str,
        metrics: Metrics,
        *,
        sockets_ttl_secs: float,
        call_timeout_secs: float = CALL_TIMEOUT_SECS,
        max_calls_in_flight: int = MAX_CALLS_IN_FLIGHT,
    ) -> None:
        self.instance_id = instance_id
        self._metrics = metrics
        self._sockets_ttl_ms = int(sockets_ttl_secs * 1000)
        self._call_timeout_secs = call_timeout_secs
        self._max_calls_in_flight = max_calls_in_flight
        self._client = Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_SECS,
            # A call is not cut mid-reply (that costs its connection): one that outlives
            # its bound finishes in the background, up to this long.
            socket_timeout=max(LATE_ANSWER_SECS, call_timeout_secs * 2),
            max_connections=max_calls_in_flight + HEARTBEAT_CONNECTIONS,
            # Once more on a fresh connection (Redis restarted), within the call's bound.
            retry=Retry(NoBackoff(), 1),
            driver_info=DriverInfo(name="redis-py", lib_version=redis.__version__),
        )
        self._take_tokens = self._client.register_script(BUCKET_SCRIPT)
        self._open_socket = self._client.register_script(SOCKETS_SCRIPT)
        self._skip_until = -float("inf")
        self._fallbacks = EveryInterval(
            "Redis does not answer: per-customer limits counted on this instance only",
            LOG_INTERVAL_SECS,
        )
        self._sockets: dict[str, str] = {}  # this instance's sockets in Redis: id -> customer
        self._removals: dict[str, str] = {}  # closed while Redis was away: id -> customer
        self._unsynced = False  # a socket opened without Redis: write them all again
        self._tasks: set[asyncio.Task[None]] = set()  # removals under way
        self._calls: set[asyncio.Task[Any]] = set()  # calls to Redis under way

    # -- decisions ------------------------------------------------------------------------

    async def take(self, limit: Bucket, key: str, rate: float, burst: int) -> bool:
        """One token of `key`'s shared `limit` bucket; True also when Redis does not answer
        (the caller's own table has already said yes)."""
        return await self.take_all(key, [(limit, rate, burst)]) == 1

    async def take_all(self, key: str, buckets: Sequence[tuple[Bucket, float, int]]) -> int:
        """One token of each of `key`'s shared `buckets` (limit, rate, burst), in order, in
        one script call (one round trip), stopping at the first bucket without one: how
        many were taken (`len(buckets)`: all; also when Redis does not answer, the
        caller's own tables having said yes)."""
        taken = await self._call(
            [limit for limit, _, _ in buckets],
            lambda: self._take_tokens(
                keys=[f"{KEY_PREFIX}{limit}:{key}" for limit, _, _ in buckets],
                args=[value for _, rate, burst in buckets for value in (rate, burst)],
            ),
        )
        return len(buckets) if taken is None else int(taken)

    async def open_socket(self, key: str, socket_id: str, cap: int) -> bool:
        """Count a new socket of customer `key` over every instance: False when it is one
        over `cap` (then it is not counted). True also when Redis does not answer."""
        self._sockets[socket_id] = key
        allowed = await self._call(
            ["sockets"],
            lambda: self._open_socket(
                keys=[self._sockets_key(key)],
                args=[
                    socket_id,
                    cap,
                    self._instance_prefix(),
                    self.instance_id,
                    int(INSTANCE_TTL_SECS * 1000),
                    self._sockets_ttl_ms,
                ],
            ),
        )
        if allowed is None:
            self._unsynced = True
            return True
        if not allowed:
            del self._sockets[socket_id]
        return bool(allowed)

    def close_socket(self, socket_id: str) -> None:
        """A socket counted by `open_socket` closed. Taken out of the count in the
        background (a closing handler may be cancelled before an await returns); retried
        by the heartbeat when Redis does not answer."""
        key = self._sockets.pop(socket_id, None)
        if key is None:
            return
        task = asyncio.create_task(self._remove(socket_id, key), name="global-limits-close")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self) -> None:
        """Wait until the sockets closed so far are out of Redis's count (or queued for
        the heartbeat)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def calls_in_flight(self) -> int:
        """Calls to Redis under way, those whose caller fell back at the bound included."""
        return len(self._calls)

    async def answered(self) -> None:
        """Wait until every call to Redis under way, cut ones included, has its answer."""
        while self._calls:
            await asyncio.gather(*self._calls, return_exceptions=True)

    async def _remove(self, socket_id: str, key: str) -> None:
        done = await self._call(
            ["sockets"], lambda: self._client.hdel(self._sockets_key(key), socket_id)
        )
        if done is None:
            self._removals[socket_id] = key

    # -- the heartbeat --------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Keep this instance's key alive and Redis's count of its sockets true until
        `stop`; then take its sockets out of the count."""
        try:
            while not stop.is_set():
                await self.beat()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), HEARTBEAT_SECS)
        finally:
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.answered()
            with contextlib.suppress(RedisError, OSError, TimeoutError):
                async with asyncio.timeout(CONNECT_TIMEOUT_SECS):
                    await self._client.delete(self._instance_prefix() + self.instance_id)
            with contextlib.suppress(RedisError, OSError):
                await self._client.aclose()

    async def beat(self) -> None:
        """Renew this instance's key; write again what Redis may have missed."""
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_SECS * 2):
                was = await self._client.set(
                    self._instance_prefix() + self.instance_id,
                    "1",
                    px=int(INSTANCE_TTL_SECS * 1000),
                    get=True,
                )
                if was is None or self._unsynced or self._removals:
                    await self._sync()
        except (RedisError, OSError, TimeoutError) as exc:
            self._unsynced = True
            self._fallbacks.note(limit="heartbeat", error=repr(exc))

    async def _sync(self) -> None:
        removals, self._removals = self._removals, {}
        self._unsynced = False
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for socket_id, key in removals.items():
                    pipe.hdel(self._sockets_key(key), socket_id)
                for socket_id, key in self._sockets.items():
                    pipe.hset(self._sockets_key(key), socket_id, self.instance_id)
                    pipe.pexpire(self._sockets_key(key), self._sockets_ttl_ms)
                await pipe.execute()
        except BaseException:
            self._removals.update(removals)
            self._unsynced = True
            raise

    # -- helpers --------------------------------------------------------------------------

    def _sockets_key(self, key: str) -> str:
        return f"{KEY_PREFIX}sockets:{key}"

    def _instance_prefix(self) -> str:
        return f"{KEY_PREFIX}instance:"

    async def _call(self, limits: list[Limit], call: Callable[[], Awaitable[T]]) -> T | None:
        """`call`'s answer, or None when Redis failed or was too slow (now or lately)."""
        if time.monotonic() < self._skip_until or len(self._calls) >= self._max_calls_in_flight:
            self._fallback(limits, None)
            return None
        # A task, not a cancellable await: past the bound the caller goes on without the
        # answer, and the call finishes with its connection intact (module docstring).
        # Started eagerly: the request is written before this returns to the loop (no
        # loop pass spent on starting the task).
        task: asyncio.Task[T] = asyncio.Task(
            _awaited(call), loop=asyncio.get_running_loop(), eager_start=True
        )
        self._calls.add(task)
        task.add_done_callback(self._call_done)
        try:
            if not task.done():
                # shielded: at the bound only this wait ends, the call runs on
                async with asyncio.timeout(self._call_timeout_secs):
                    await asyncio.shield(task)
            return task.result()
        except (RedisError, OSError, TimeoutError) as exc:
            self._skip_until = time.monotonic() + RETRY_SECS
            self._fallback(limits, exc)
            return None

    def _call_done(self, task: asyncio.Task[Any]) -> None:
        self._calls.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a late failure is already a fallback

    def _fallback(self, limits: list[Limit], exc: BaseException | None) -> None:
        for limit in limits:
            self._metrics.global_limits_fallback.labels(limit).inc()
        self._fallbacks.note(limit=",".join(limits), error=repr(exc) if exc is not None else None)


async def _awaited[R](call: Callable[[], Awaitable[R]]) -> R:
    return await call()
