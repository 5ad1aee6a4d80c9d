"""Periodic jobs that must run on one instance at a time, each under its own lease
(docs/deployment.md, "Several instances"; the leases: chat_service/storage/leases.py).

Every `interval_secs` each instance takes a turn: it takes the job's lease (or renews it,
if it is already the holder). The holder runs a round of the job; any other instance skips
its turn. The holder keeps the lease from one turn to the next (`lease_secs` is longer than
the interval), so the job stays where it is while that instance lives. An instance that
dies stops renewing: the lease lapses and another instance takes it at its next turn,
within `lease_secs + interval_secs`. A clean stop releases the lease, so another instance
takes the job at its next turn.

During a round the work calls `Turn.keep()` between units (a deletion request, a consent
request): it renews the lease once a third of it has passed, and raises `LeaseLost` when
another instance took it meanwhile (this holder stalled past its lease), which ends the
round there. Each unit is idempotent and guarded by a compare-and-swap in the store, so a
unit two instances overlap on is still done once; the lease keeps them from doing the
whole job twice over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter, Gauge

from chat_service.stopping import wait_or_stop
from chat_service.storage.leases import Leases

logger = logging.getLogger(__name__)

RENEW_FRACTION = 3  # a round renews once 1/3 of the lease has passed


def utc_now() -> datetime:
    return datetime.now(UTC)


class LeaseLost(Exception):
    """Another instance holds the job's lease now: stop the round."""


class Turn:
    """The holder's round: `keep()` between units renews the lease, or ends the round."""

    def __init__(
        self,
        leases: Leases,
        name: str,
        holder: str,
        lease: timedelta,
        clock: Callable[[], datetime],
        renewed_at: datetime,
    ) -> None:
        self._leases = leases
        self._name = name
        self._holder = holder
        self._lease = lease
        self._clock = clock
        self._renewed_at = renewed_at

    async def keep(self) -> None:
        """Renew the lease when a third of it has passed; `LeaseLost` if it is not ours."""
        now = self._clock()
        if now - self._renewed_at < self._lease / RENEW_FRACTION:
            return
        if not await self._leases.renew(self._name, self._holder, now + self._lease):
            raise LeaseLost(f"the {self._name} lease is held by another instance")
        self._renewed_at = now


Work = Callable[[Turn], Awaitable[object]]


class LeasedJob:
    """One periodic job under its lease; `run(stop)` is the instance's loop."""

    def __init__(
        self,
        name: str,
        work: Work,
        *,
        leases: Leases,
        holder: str,
        lease_secs: float,
        interval_secs: float,
        held: Gauge,
        errors: Counter,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.name = name
        self.holder = holder
        self._work = work
        self._leases = leases
        self._lease = timedelta(seconds=lease_secs)
        self._interval_secs = interval_secs
        self._held = held  # 1 while this instance holds the lease
        self._errors = errors
        self._clock = clock
        self.holding = False
        self.task: asyncio.Task[None] | None = None

    def start(self, stop: asyncio.Event) -> asyncio.Task[None]:
        """`run(stop)` as this instance's task for the job (kept in `task`)."""
        self.task = asyncio.create_task(self.run(stop), name=self.name)
        return self.task

    def _set_holding(self, holding: bool) -> None:
        if holding != self.holding:
            logger.info(
                "job lease taken" if holding else "job lease left",
                extra={"job": self.name, "holder": self.holder},
            )
        self.holding = holding
        self._held.set(1 if holding else 0)

    async def turn(self) -> bool:
        """Take (or renew) the lease; if ours, run one round. True if a round ran to its end."""
        now = self._clock()
        if not await self._leases.take(self.name, self.holder, now, now + self._lease):
            self._set_holding(False)
            return False
        self._set_holding(True)
        turn = Turn(self._leases, self.name, self.holder, self._lease, self._clock, now)
        try:
            await self._work(turn)
        except LeaseLost:
            self._set_holding(False)
            logger.warning("job lease lost mid-round; round stopped", extra={"job": self.name})
            return False
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """A turn every `interval_secs` until `stop` is set, then release the lease. Never
        raises: a failed turn is logged and counted, and the next one tries again.
        Cancelled (as a dead process would), it leaves the lease to lapse."""
        while not stop.is_set():
            try:
                await self.turn()
            except Exception:
                logger.exception(
                    "job round failed; trying again next turn", extra={"job": self.name}
                )
                self._errors.labels(self.name).inc()
            await wait_or_stop(stop, self._interval_secs)
        if self.holding:
            try:
                await self._leases.release(self.name, self.holder)
            except Exception:  # it lapses on its own
                logger.exception("job lease not released", extra={"job": self.name})
            self._set_holding(False)
