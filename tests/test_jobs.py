"""A periodic job under its lease (chat_service/jobs.py), on the real store: only the holder
runs rounds, another instance takes over once the holder stops renewing, a holder whose
lease was taken mid-round stops there, a clean stop releases the lease."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from chat_service.jobs import LeasedJob, Turn
from chat_service.metrics import Metrics
from chat_service.storage.leases import Leases

LEASE_SECS = 60.0
T0 = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)


@pytest.fixture
async def leases(store_uri: str | None) -> AsyncIterator[Leases]:
    uri = store_uri or os.environ["MONGODB_URI"]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    try:
        yield Leases(client["jobs_" + secrets.token_hex(4)]["leases"])
    finally:
        await client.close()


@dataclass
class Instance:
    """One instance's copy of the job: its clock, its gauge, the units it did."""

    name: str
    leases: Leases
    now: datetime = T0
    done: list[int] = field(default_factory=list)
    units: int = 1
    after_unit: Any = None  # called after each unit (the test's hook)
    metrics: Metrics = field(default_factory=Metrics)

    def job(self, interval_secs: float = 10.0) -> LeasedJob:
        return LeasedJob(
            "sweeper",
            self.work,
            leases=self.leases,
            holder=self.name,
            lease_secs=LEASE_SECS,
            interval_secs=interval_secs,
            held=self.metrics.job_lease_held.labels("sweeper"),
            errors=self.metrics.errors,
            clock=lambda: self.now,
        )

    async def work(self, turn: Turn) -> None:
        for unit in range(self.units):
            await turn.keep()
            self.done.append(unit)
            if self.after_unit is not None:
                await self.after_unit(unit)

    def gauge(self) -> float | None:
        return self.metrics.registry.get_sample_value("chat_job_lease_held", {"job": "sweeper"})


async def test_when_two_instances_take_turns_then_only_the_holder_runs_until_it_stops_renewing(
    leases: Leases,
) -> None:
    a, b = Instance("a", leases), Instance("b", leases)
    job_a, job_b = a.job(), b.job()
    assert await job_a.turn() and not await job_b.turn()
    assert (a.done, b.done) == ([0], [])
    assert (a.gauge(), b.gauge()) == (1.0, 0.0)
    # a's turns keep the lease from turn to turn: b keeps skipping.
    for step in range(1, 4):
        a.now = b.now = T0 + timedelta(seconds=step * LEASE_SECS / 2)
        assert await job_a.turn() and not await job_b.turn()
    assert (len(a.done), b.done) == (4, [])
    # a dies (no more turns): once its lease has run out, b's next turn takes the job.
    b.now += timedelta(seconds=LEASE_SECS - 1)
    assert not await job_b.turn()
    b.now += timedelta(seconds=1)
    assert await job_b.turn()
    assert b.done == [0] and b.gauge() == 1.0
    a.now = b.now  # a comes back: it skips now
    assert not await job_a.turn() and a.gauge() == 0.0


async def test_when_the_lease_is_taken_mid_round_then_the_holder_stops_at_its_next_unit(
    leases: Leases,
) -> None:
    a = Instance("a", leases, units=10)

    async def stall_then_lose(unit: int) -> None:
        if unit == 2:  # a stalls past its lease; b takes the job meanwhile
            a.now = T0 + timedelta(seconds=LEASE_SECS + 1)
            assert await leases.take("sweeper", "b", a.now, a.now + timedelta(seconds=60))

    a.after_unit = stall_then_lose
    job = a.job()
    assert not await job.turn()  # the round ended early
    assert a.done == [0, 1, 2]  # nothing after the lease was lost
    assert a.gauge() == 0.0 and not job.holding
    lease = await leases.get("sweeper")
    assert lease is not None and lease["holder"] == "b"


async def test_when_a_round_outlasts_a_third_of_the_lease_then_the_holder_renews_and_goes_on(
    leases: Leases,
) -> None:
    a = Instance("a", leases, units=5)

    async def slow(unit: int) -> None:
        a.now += timedelta(seconds=LEASE_SECS / 2)  # each unit takes half a lease

    a.after_unit = slow
    assert await a.job().turn()
    assert a.done == [0, 1, 2, 3, 4]
    lease = await leases.get("sweeper")
    assert lease is not None and lease["holder"] == "a"
    assert lease["expires_at"] > T0 + timedelta(seconds=LEASE_SECS * 2)  # renewed on the way


async def test_when_the_instance_stops_cleanly_then_it_releases_the_lease_for_the_next(
    leases: Leases,
) -> None:
    a, b = Instance("a", leases), Instance("b", leases)
    stop = asyncio.Event()
    ran = asyncio.Event()

    async def first_round_done(unit: int) -> None:
        ran.set()

    a.after_unit = first_round_done
    task = asyncio.create_task(a.job(interval_secs=3600).run(stop))
    await ran.wait()
    assert not await b.job().turn()  # a holds it while it runs
    stop.set()
    await task
    assert await leases.get("sweeper") is None and a.gauge() == 0.0
    assert await b.job().turn()  # at once, no waiting for expiry
