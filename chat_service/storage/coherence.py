"""Coherence of this process's caches with other instances on the same store.

The ledger, open-conversation and pending-request caches (consents.py, conversations.py)
ask their `Coherence` two things: may a cached entry be served now (`trusted`), and tell
the other instances that an entry changed here (`changed`). One instance alone (no
`REDIS_URL`) is `LOCAL`: always trusted, nothing to tell. Several instances use the Redis
bus (chat_service/fanout_redis.py): an entry changed on one is dropped on the others, and
while the bus is not subscribed (Redis down) no cache is served, so a lost invalidation
never serves a stale consent.

`Generations` closes the other gap: a read that began before an invalidation and ends
after it must not put the old value it read in the cache.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal, Protocol

CacheName = Literal["consents", "consent_requests", "conversations"]


class Coherence(Protocol):
    def trusted(self) -> bool:
        """Whether a cached entry may be served now."""
        ...

    def changed(self, cache: CacheName, key: str) -> None:
        """This process changed `key` in `cache`: other instances drop their copy."""
        ...


class LocalOnly:
    """One instance: its caches are the only copies."""

    def trusted(self) -> bool:
        return True

    def changed(self, cache: CacheName, key: str) -> None:
        return None


LOCAL: Coherence = LocalOnly()


# Past this many keys changed while reads were in flight, the table is dropped and every
# read in flight counts as stale (one re-read each, never a stale fill): the table stays
# small however busy the process is.
CHANGED_KEYS_MAX = 1_000


class Generations:
    """Whether a value read from the store may still be put in a cache.

    A read that starts before an invalidation (another instance changed the entry, or
    this one did) and finishes after it holds the old value; caching it would serve that
    value until the next change. Each read notes the generation it started at
    (`read()`); `changed(key)` and `cleared()` move the generation on; a fill is kept only
    if its key has not changed since its read began (`Read.unchanged`). Only changes made
    while some read is in flight are remembered, so the table is empty when the process is
    idle and bounded (`CHANGED_KEYS_MAX`) when it is not."""

    __slots__ = ("_changed", "_cleared", "_generation", "_reads")

    def __init__(self) -> None:
        self._generation = 0
        self._cleared = 0  # the generation of the last `cleared()` seen by a read
        self._changed: dict[str, int] = {}  # key -> generation of its last change
        self._reads = 0

    def __len__(self) -> int:
        return len(self._changed)

    @contextlib.contextmanager
    def read(self) -> Iterator[Read]:
        """Around one read from the store and the fill of its result."""
        self._reads += 1
        try:
            yield Read(self, self._generation)
        finally:
            self._reads -= 1
            if not self._reads:
                self._changed.clear()  # no read left that began before these changes

    def changed(self, key: str) -> None:
        """`key`'s entry changed (or was dropped): reads of it in flight are stale."""
        if not self._reads:
            return
        if len(self._changed) >= CHANGED_KEYS_MAX:
            self.cleared()
            return
        self._generation += 1
        self._changed[key] = self._generation

    def cleared(self) -> None:
        """The whole cache was dropped: every read in flight is stale."""
        if not self._reads:
            return
        self._generation += 1
        self._cleared = self._generation
        self._changed.clear()

    def unchanged(self, key: str, since: int) -> bool:
        return self._cleared <= since and self._changed.get(key, 0) <= since


class Read:
    """One read in flight (`Generations.read`)."""

    __slots__ = ("_generations", "since")

    def __init__(self, generations: Generations, since: int) -> None:
        self._generations = generations
        self.since = since

    def unchanged(self, key: str) -> bool:
        """Whether `key` is as it was when this read began (its result may be cached)."""
        return self._generations.unchanged(key, self.since)
