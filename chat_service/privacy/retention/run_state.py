"""The state one retention run shares between its steps (runner.py): the services dated
by the injected clock, the summary it fills, errors recorded loudly, each batch recorded
and the lease renewed, and attachments dropped (blobs first), simulated in a dry run."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol, Unpack

from prometheus_client import Counter

from chat_service.privacy.retention.reports import (
    ERRORS_KEPT,
    UNSENT_STEP,
    ErrorEntry,
    ErrorWhere,
    RetentionSummary,
)
from chat_service.privacy_settings import RetentionConfig
from chat_service.services import Services
from chat_service.storage.audit import AuditDetail
from chat_service.storage.retention_runs import Holds, RetentionStore, Scope, active_holds

logger = logging.getLogger("chat_service.retention")

LEASE_NAME = "retention"


type Cursor = tuple[datetime, str]


class PageRead[D](Protocol):
    """A keyset-paged retention read (`RetentionStore.*_page`): items older than `cutoff`,
    free of or under `holds`, oldest first after `after`, `limit` at most."""

    def __call__(
        self, *, cutoff: datetime, holds: Holds, scope: Scope, after: Cursor | None, limit: int
    ) -> Awaitable[list[D]]: ...


class LeaseLost(Exception):
    """Another holder took the lease while this run was working (it ran out)."""


class Stopped(Exception):
    """The stop event was set: end the run between two batches."""


class RunState:
    """One run's shared state and the helpers every step uses."""

    def __init__(
        self,
        services: Services,
        config: RetentionConfig,
        summary: RetentionSummary,
        *,
        batch_size: int,
        failures: Counter | None,
        clock: Callable[[], datetime],
        stop: asyncio.Event | None,
    ) -> None:
        now = summary.now
        # Everything the run writes (audit records included) is dated by the injected clock.
        self.services = dataclasses.replace(services, clock=lambda: now)
        self.rs: RetentionStore = services.store.retention
        self.cipher = services.cipher
        self.config = config
        self.summary = summary
        self.now = now
        self.dry_run = summary.dry_run
        self.batch_size = batch_size
        self.failures = failures
        self.clock = clock
        self.stop = stop
        self.current_rule = next(iter(config.rules))
        # Dry run only: messages an earlier rule of this run would have deleted.
        self.simulated_deleted: dict[str, str] = {}
        # Dry run only: attachments an earlier rule or step would have deleted.
        self.simulated_attachments: set[str] = set()

    @property
    def actor(self) -> dict[str, Any]:
        return {"role": "system", "id": "retention", "run_id": self.summary.run_id}

    def error(self, rule: str, exc: BaseException, **where: Unpack[ErrorWhere]) -> None:
        self.summary.error_count += 1
        if rule in self.summary.rules:
            self.summary.rules[rule].errors += 1
        elif rule == UNSENT_STEP and self.summary.unsent_attachments is not None:
            self.summary.unsent_attachments.errors += 1
        entry: ErrorEntry = {"rule": rule, "error": f"{type(exc).__name__}: {exc}"[:500], **where}
        if len(self.summary.errors) < ERRORS_KEPT:
            self.summary.errors.append(entry)
        logger.error(
            "retention rule failed",
            exc_info=exc,
            extra={"run_id": self.summary.run_id, "dry_run": self.dry_run, **entry},
        )
        if self.failures is not None:
            self.failures.inc()

    async def audit(
        self,
        rule: str,
        action: str,
        customer_id: str,
        reason: str,
        details: Mapping[str, AuditDetail] | None = None,
    ) -> None:
        """One audit entry of this run, by `rule` (a rule's name or a step's)."""
        await self.services.store.audit.record(
            at=self.now,
            actor={**self.actor, "rule": rule},
            action=action,
            customer_id=customer_id,
            reason=reason,
            details=details,
        )

    async def batch_done(
        self, rule: str, counts: dict[str, int], size: int, section: str = "rules"
    ) -> None:
        self.summary.batches += 1
        if not self.dry_run:
            assert self.summary.run_id is not None  # noqa: S101  # set for real runs
            batch = {"rule": rule, "size": size, **counts, "at": self.clock()}
            await self.rs.record_batch(self.summary.run_id, rule, counts, batch, section)
            until = self.clock() + timedelta(seconds=self.config.lease_secs)
            leases = self.services.store.leases
            if not await leases.take(LEASE_NAME, self.summary.holder, self.clock(), until):
                raise LeaseLost("the retention lease was taken by another holder")
            await asyncio.sleep(self.config.pause_between_batches_secs)
        else:
            await asyncio.sleep(0)
        if self.stop is not None and self.stop.is_set():
            raise Stopped

    async def pages[D: Mapping[str, Any]](
        self, read: PageRead[D], *, cutoff: datetime, scope: Scope, order_field: str
    ) -> AsyncIterator[tuple[list[D], Holds]]:
        """`read`'s pages of `batch_size`, oldest first (by `order_field`, then `_id`), each
        with the holds it was read under. Free items are read under the holds active just
        before each page, so a hold placed during the run protects its data from the next
        page on; held items under those active at the start (none: no page)."""
        legal_holds = self.services.store.legal_holds
        holds = await active_holds(legal_holds)
        if scope == "held" and not holds:
            return
        after: Cursor | None = None
        while True:
            page = await read(
                cutoff=cutoff, holds=holds, scope=scope, after=after, limit=self.batch_size
            )
            if not page:
                return
            after = (page[-1][order_field], page[-1]["_id"])
            yield page, holds
            if len(page) < self.batch_size:
                return
            if scope == "free":
                holds = await active_holds(legal_holds)

    async def drop_attachments(self, attachment_ids: list[str]) -> int:
        """Delete these attachments, blobs first (a dry run counts those not counted yet)."""
        if self.dry_run:
            fresh = set(attachment_ids) - self.simulated_attachments
            self.simulated_attachments |= fresh
            return len(fresh)
        deleted = 0
        for attachment_id in attachment_ids:
            if await self.services.store.attachments.delete(attachment_id):
                deleted += 1
        return deleted
