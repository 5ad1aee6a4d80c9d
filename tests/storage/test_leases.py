"""The leases collection over the wire: one holder at a time, takeover after expiry, a
holder whose lease was taken cannot renew it, release only by the holder."""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from chat_service.storage.leases import Leases, new_holder

T0 = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


async def test_when_two_holders_take_a_free_lease_at_once_then_exactly_one_wins(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    leases = Leases(collection)
    for round_ in range(5):  # a few races, each on a fresh name
        name = f"job-{round_}"
        won = await asyncio.gather(
            leases.take(name, "a", T0, T0 + LEASE), leases.take(name, "b", T0, T0 + LEASE)
        )
        assert sorted(won) == [False, True]
        lease = await leases.get(name)
        assert lease is not None
        assert lease["holder"] == ("a" if won[0] else "b")
        assert lease["expires_at"] == T0 + LEASE


async def test_when_the_holder_stops_renewing_then_another_takes_over_after_expiry_only(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    leases = Leases(collection)
    assert await leases.take("sweeper", "a", T0, T0 + LEASE)
    assert await leases.take("sweeper", "a", T0 + LEASE / 2, T0 + LEASE * 3 / 2)  # renewed
    assert not await leases.take("sweeper", "b", T0 + LEASE, T0 + LEASE * 2)  # still a's
    after_expiry = T0 + LEASE * 3 / 2
    assert await leases.take("sweeper", "b", after_expiry, after_expiry + LEASE)
    lease = await leases.get("sweeper")
    assert lease is not None and lease["holder"] == "b"
    # The old holder learns it at its next renewal, and cannot take it back while b's runs.
    assert not await leases.renew("sweeper", "a", after_expiry + LEASE)
    assert not await leases.take("sweeper", "a", after_expiry, after_expiry + LEASE)
    assert await leases.renew("sweeper", "b", after_expiry + LEASE * 2)


async def test_when_released_then_only_the_holders_release_counts_and_the_lease_is_free(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    leases = Leases(collection)
    assert await leases.take("deletion", "a", T0, T0 + LEASE)
    await leases.release("deletion", "b")  # not b's: nothing happens
    assert not await leases.take("deletion", "b", T0, T0 + LEASE)
    await leases.release("deletion", "a")
    assert await leases.get("deletion") is None
    assert not await leases.renew("deletion", "a", T0 + LEASE)  # gone: no renewal
    assert await leases.take("deletion", "b", T0, T0 + LEASE)  # free at once


def test_when_holder_ids_are_made_then_they_name_host_and_pid_and_never_repeat() -> None:
    ids = {new_holder() for _ in range(100)}
    assert len(ids) == 100
    host, pid, random = next(iter(ids)).rsplit(":", 2)
    assert host == socket.gethostname() and pid == str(os.getpid()) and len(random) == 8
    assert new_holder("server").split(":")[-1].startswith("server-")
