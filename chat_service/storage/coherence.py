"""Coherence of this process's caches with other instances on the same store.

The ledger, open-conversation and pending-request caches (consents.py, conversations.py)
ask their `Coherence` two things: may a cached entry be served now (`trusted`), and tell
the other instances that an entry changed here (`changed`). One instance alone (no
`REDIS_URL`) is `LOCAL`: always trusted, nothing to tell. Several instances use the Redis
bus (chat_service/fanout_redis.py): an entry changed on one is dropped on the others, and
while the bus is not subscribed (Redis down) no cache is served, so a lost invalidation
never serves a stale consent.
"""

from __future__ import annotations

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
