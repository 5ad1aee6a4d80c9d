"""Limits on what one request may make the server hold: the memory budget of uploads being
read (attachments/budget.py) and the turns of exports being built (privacy/export.py).

One `ResourceLimits` per application (`Services.limits`); the metrics follow its gauges.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from chat_service.attachments.budget import MemoryBudget
from chat_service.attachments.config import AttachmentsConfig
from chat_service.errors import ChatError
from chat_service.metrics import Metrics


class TooManyExports(ChatError):
    code = "too_many_exports"
    http_status = 429
    default_message = "an export of this customer's data is already being prepared: wait for it"


class ExportGate:
    """At most `per_customer` exports of one customer at once (more: 429 at once, the same
    customer is asking again), and at most `capacity` in all (more wait their turn in
    arrival order, up to the configured wait; then 503 server_busy)."""

    def __init__(self, capacity: int, per_customer: int, wait_secs: float) -> None:
        self.turns = MemoryBudget(capacity, wait_secs)
        self.per_customer = per_customer
        self._active: collections.Counter[str] = collections.Counter()

    @contextlib.asynccontextmanager
    async def turn(self, customer_id: str) -> AsyncIterator[None]:
        if self._active[customer_id] >= self.per_customer:
            raise TooManyExports()
        self._active[customer_id] += 1
        try:
            async with self.turns.hold(1):
                yield
        finally:
            self._active[customer_id] -= 1
            if not self._active[customer_id]:
                del self._active[customer_id]


@dataclass(slots=True)
class ResourceLimits:
    decode_budget: MemoryBudget
    exports: ExportGate

    @classmethod
    def from_config(cls, config: AttachmentsConfig, metrics: Metrics) -> ResourceLimits:
        def show(in_use: int, waiting: int) -> None:
            metrics.upload_budget_in_use.set(in_use)
            metrics.upload_budget_waiting.set(waiting)

        budget = MemoryBudget(config.decode_budget_bytes, config.decode_wait_secs, show)
        exports = ExportGate(
            config.export_concurrency,
            config.export_concurrency_per_customer,
            config.export_wait_secs,
        )
        return cls(budget, exports)
