"""Fan-out and cache invalidation across instances, over one Redis pub/sub channel.

With `REDIS_URL` set, `RedisFanOut.publish` delivers to this instance's sockets exactly as
`InProcessFanOut` does, then hands the event's `Portable` description (fanout.py) to a
background publisher. Every instance subscribes to the same channel, skips what it sent
itself, rebuilds the render of each event from its kind (a constant frame as is; a message
as stored, sealed values encrypted, with its conversation, through the resolver the app
registers: actions/delivery.py) and delivers it to its own sockets, rendered for its own
viewers (decrypting what they may see, auditing it, here). No plaintext crosses.

The same channel carries cache invalidations (storage/coherence.py): an instance that
changes a consent ledger, a customer's pending requests or an open conversation tells the
others, which drop their copy. One channel, one publisher connection: an invalidation
sent before an event is applied before that event is delivered (the consent decision is
in the ledger cache of an instance before its `consent.recorded` reaches a socket there).

The publisher sends whatever has queued meanwhile in one pipeline (one write, one round
trip, in order; at most `PUBLISH_BATCH_MAX`), not one PUBLISH round trip per event. Every
body starts with its sender (`{"from":"<instance id>",...`), so an instance skips what it
sent itself, which Redis hands back to it too, without decoding it; an event none of whose
audience has a socket here is dropped after its head, its description not decoded (with
more instances, each decodes and renders only its own viewers' events). A body is compact
JSON; an event whose description is bytes (a message as stored, BSON) is that JSON head
without "data", a newline (`PAYLOAD_MARK`: never raw in compact JSON) and the bytes as they
are, not base64 inside JSON: encoding and decoding that cost each crossing more than the
BSON itself.

Best effort, never blocking: `publish` only queues (bounded); what cannot be sent (Redis
down, queue full) is dropped and counted (`chat_fanout_remote_dropped_total`), and clients
close the gap from history after their last `seq`. While not subscribed (at start, Redis
down) every coherent cache is bypassed, and all of them are emptied on each (re)subscribe,
so an invalidation lost meanwhile never serves a stale entry; an instance that could not
send something tells the others to empty theirs (`reset`) once it can talk to them again
(Redis away for it alone). Reconnects back off from
0.1 s to 5 s. The subscriber applies invalidations at once and queues events (bounded) to
one worker, so a slow render or a slow socket never stalls the subscription (each socket's
own queue bounds it: fanout.Connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any, Protocol

import redis
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.driver_info import DriverInfo
from redis.exceptions import RedisError

from chat_service.fanout import (
    CONSTANT,
    Audience,
    Description,
    InProcessFanOut,
    Portable,
    Registry,
    Render,
    audience_from_wire,
    audience_to_wire,
    constant,
)
from chat_service.json_types import JsonObject
from chat_service.metrics import Metrics
from chat_service.storage.coherence import CacheName

logger = logging.getLogger(__name__)

DEFAULT_CHANNEL = "chat-service:events"
OUTGOING_MAX_EVENTS = 10_000  # queued for Redis; past that, dropped (clients catch up)
INCOMING_MAX_EVENTS = 10_000  # received, waiting for the local delivery worker
PUBLISH_BATCH_MAX = 256  # queued events sent to Redis in one pipeline (one round trip)
RECONNECT_MIN_SECS = 0.1
RECONNECT_MAX_SECS = 5.0
CONNECT_TIMEOUT_SECS = 2.0
HEALTH_CHECK_SECS = 5  # the subscriber pings an idle connection this often
POLL_SECS = 1.0  # the subscriber's read timeout (it then checks whether to stop)

Resolver = Callable[[Description], Render]
# Between a body's JSON head and the bytes of a description that is bytes (a message as
# stored, BSON). Compact JSON never holds a raw newline (json.dumps escapes it in strings).
PAYLOAD_MARK = b"\n"


class Invalidatable(Protocol):
    def invalidate(self, key: str) -> None: ...

    def clear(self) -> None: ...


class RedisFanOut:
    """`FanOut` for several instances (and their caches' `Coherence`)."""

    def __init__(
        self,
        url: str,
        registry: Registry,
        metrics: Metrics,
        *,
        channel: str = DEFAULT_CHANNEL,
        instance_id: str | None = None,
    ) -> None:
        self.url = url
        self.channel = channel
        self.instance_id = instance_id or "i_" + secrets.token_hex(8)
        self._own_prefix = _encode({"from": self.instance_id})[:-1]  # b'{"from":"i_..."'
        self.local = InProcessFanOut(registry)
        self._registry = registry
        self._metrics = metrics
        self._resolvers: dict[str, Resolver] = {CONSTANT: _constant_resolver}
        self._caches: dict[CacheName, Invalidatable] = {}
        self._outgoing: asyncio.Queue[bytes] = asyncio.Queue(OUTGOING_MAX_EVENTS)
        self._incoming: asyncio.Queue[tuple[Audience, Render]] = asyncio.Queue(INCOMING_MAX_EVENTS)
        # Something this instance sent may be lost (Redis away, queue full): the others
        # are told to empty their caches as soon as it can talk to them again.
        self._owe_reset = False
        self._subscribed = asyncio.Event()
        self._unsubscribed = asyncio.Event()
        self._unsubscribed.set()
        metrics.redis_up.set(0)

    # -- wiring (app.py) ------------------------------------------------------------------

    def resolve(self, kind: str, resolver: Resolver) -> None:
        """How events of `kind` from other instances are rendered here."""
        self._resolvers[kind] = resolver

    def cache(self, name: CacheName, target: Invalidatable) -> None:
        """A cache whose entries other instances' changes invalidate."""
        self._caches[name] = target

    # -- FanOut ---------------------------------------------------------------------------

    async def publish(self, audience: Audience, render: Render) -> int:
        delivered = await self.local.publish(audience, render)
        if not isinstance(render, Portable):
            logger.error("an event cannot cross instances (not Portable)")
            self._lost("not_portable")
            return delivered
        if not self._subscribed.is_set():
            self._lost("not_connected")
            return delivered
        try:
            data = render.describe()
        except Exception:  # the local delivery is done; the others catch up from history
            logger.exception("describing an event for the other instances failed")
            self._lost("not_portable")
            return delivered
        head: JsonObject = {"audience": audience_to_wire(audience), "kind": render.kind}
        if isinstance(data, bytes):
            self._send(head, data)
        else:
            self._send({**head, "data": data})
        return delivered

    # -- Coherence ------------------------------------------------------------------------

    def trusted(self) -> bool:
        return self.connected

    def changed(self, cache: CacheName, key: str) -> None:
        self._send({"invalidate": cache, "key": key})

    # -- state ----------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._subscribed.is_set()

    async def wait_connected(self) -> None:
        await self._subscribed.wait()

    async def wait_disconnected(self) -> None:
        await self._unsubscribed.wait()

    # -- the background tasks -------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Subscribe, publish and deliver until `stop` is set."""
        tasks = [
            asyncio.create_task(self._subscribe_loop(stop), name="redis-subscriber"),
            asyncio.create_task(self._publish_loop(), name="redis-publisher"),
            asyncio.create_task(self._deliver_loop(), name="redis-delivery"),
        ]
        try:
            await tasks[0]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._set_subscribed(False)

    def _client(self, retries: int) -> Redis:
        return Redis.from_url(
            self.url,
            socket_connect_timeout=CONNECT_TIMEOUT_SECS,
            health_check_interval=HEALTH_CHECK_SECS,
            retry=Retry(NoBackoff(), retries),  # the subscriber reconnects, with backoff
            # Named here: left out, each new connection reads the package's metadata from
            # disk (a blocking call on the event loop).
            driver_info=DriverInfo(name="redis-py", lib_version=redis.__version__),
        )

    def _send(self, body: JsonObject, payload: bytes | None = None) -> None:
        if not self._subscribed.is_set():
            self._lost("not_connected")
            return
        # "from" first: every instance reads what it sent itself back from the channel, and
        # skips it by this prefix without decoding it (`_receive`).
        data = _encode({"from": self.instance_id, **body})
        if payload is not None:  # the bytes as they are, after the head (`PAYLOAD_MARK`)
            data = b"".join((data, PAYLOAD_MARK, payload))
        try:
            self._outgoing.put_nowait(data)
        except asyncio.QueueFull:
            self._lost("queue_full")

    def _lost(self, reason: str) -> None:
        """Something this instance should have told the others is lost."""
        self._owe_reset = True
        self._dropped(reason)

    def _reset_body(self) -> bytes:
        return _encode({"from": self.instance_id, "reset": True})

    def _dropped(self, reason: str) -> None:
        self._metrics.remote_events_dropped.labels(reason).inc()

    def _clear_caches(self) -> None:
        for target in self._caches.values():
            target.clear()

    def _set_subscribed(self, up: bool) -> None:
        if up:
            # Invalidations sent while this instance was not listening are lost: start
            # every coherent cache afresh before serving from it again.
            self._clear_caches()
            if self._owe_reset:  # and what this one sent meanwhile may be lost to others
                with contextlib.suppress(asyncio.QueueFull):
                    self._outgoing.put_nowait(self._reset_body())
                    self._owe_reset = False
            self._unsubscribed.clear()
            self._subscribed.set()
        else:
            self._subscribed.clear()
            self._unsubscribed.set()
        self._metrics.redis_up.set(1 if up else 0)

    async def _subscribe_loop(self, stop: asyncio.Event) -> None:
        backoff = RECONNECT_MIN_SECS
        while not stop.is_set():
            client = self._client(0)  # a broken subscription must show, not heal unseen
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                while not stop.is_set():
                    message = await pubsub.get_message(timeout=POLL_SECS)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self._set_subscribed(True)
                        backoff = RECONNECT_MIN_SECS
                        logger.info("subscribed to the instances' channel")
                    elif message["type"] == "message":
                        self._receive(message["data"])
            except (RedisError, OSError) as exc:
                if self._subscribed.is_set():
                    logger.warning("lost the instances' channel; reconnecting", exc_info=exc)
                else:
                    logger.warning(
                        "cannot reach Redis; retrying",
                        extra={"retry_in_secs": backoff, "error": repr(exc)},
                    )
            finally:
                self._set_subscribed(False)
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py
                with contextlib.suppress(RedisError, OSError):
                    await client.aclose()
            if stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, RECONNECT_MAX_SECS)

    def _receive(self, raw: Any) -> None:
        if isinstance(raw, bytes) and raw.startswith(self._own_prefix):
            return  # sent by this instance, delivered here already: not even decoded
        try:
            head, mark, payload = raw.partition(PAYLOAD_MARK)
            body = json.loads(head)
            if body.get("from") == self.instance_id:
                return  # delivered here already
            if body.get("reset") is True:
                self._clear_caches()
                return
            cache = body.get("invalidate")
            if cache is not None:
                target = self._caches.get(cache)
                if target is not None:
                    target.invalidate(str(body["key"]))
                return
            audience = audience_from_wire(body["audience"])
            if not self._registry.reaches(audience):
                return  # no viewer here: its description is not even decoded
            resolver = self._resolvers[str(body["kind"])]
            render = resolver(payload if mark else body["data"])
        except Exception:  # whatever is wrong with it, it must not stop the subscriber
            logger.exception("an event from another instance is malformed; dropped")
            self._dropped("malformed")
            return
        try:
            self._incoming.put_nowait((audience, render))
        except asyncio.QueueFull:
            self._dropped("incoming_full")

    async def _deliver_loop(self) -> None:
        while True:
            audience, render = await self._incoming.get()
            try:
                await self.local.publish(audience, render)
            except Exception:
                logger.exception("delivering an event from another instance failed")
                self._dropped("delivery_failed")

    async def _publish_loop(self) -> None:
        client = self._client(1)  # once more on a fresh connection (Redis restarted)
        try:
            while True:
                batch = [await self._outgoing.get()]
                # Everything queued meanwhile (the events of one loop pass, or of the time
                # the last round trip took) goes in one pipeline: one write and one round
                # trip, in order, instead of one PUBLISH round trip per event.
                while len(batch) < PUBLISH_BATCH_MAX and not self._outgoing.empty():
                    batch.append(self._outgoing.get_nowait())
                if self._owe_reset:
                    self._owe_reset = False
                    batch.insert(0, self._reset_body())
                try:
                    if len(batch) == 1:
                        await client.publish(self.channel, batch[0])
                    else:
                        async with client.pipeline(transaction=False) as pipe:
                            for data in batch:
                                pipe.publish(self.channel, data)
                            await pipe.execute()
                except (RedisError, OSError) as exc:
                    logger.warning("publishing to the instances failed", extra={"error": repr(exc)})
                    self._lost("publish_failed")
        finally:
            with contextlib.suppress(RedisError, OSError):
                await client.aclose()


def _encode(body: JsonObject) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _constant_resolver(data: Description) -> Render:
    frame = data["frame"] if isinstance(data, dict) else None
    if not isinstance(frame, dict):
        raise ValueError("a constant event carries a frame")
    return constant(frame)
