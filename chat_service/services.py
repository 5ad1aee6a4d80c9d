"""What actions need, in one object: the store, fan-out, scanner, metrics, limits, clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from chat_service.fanout import FanOut
from chat_service.metrics import Metrics
from chat_service.resources import ResourceLimits
from chat_service.scanning import Scanner
from chat_service.settings import Settings
from chat_service.storage import Store
from chat_service.storage.crypto import FieldCipher
from chat_service.storage.webhook_deliveries import WebhookSummary


def utc_now() -> datetime:
    return datetime.now(UTC)


class Notifier(Protocol):
    """Privacy notices to the other recipients of customers' data, durably queued and sent
    in the background (chat_service/privacy/webhooks.py `WebhookNotifier`)."""

    async def enqueue(
        self,
        event: str,
        payload: Mapping[str, Any],
        now: datetime,
        *,
        event_id: str | None = None,
    ) -> list[str]: ...

    async def run(self, stop: asyncio.Event) -> None: ...

    async def summary(self, dead_limit: int = 100) -> WebhookSummary: ...


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store
    fanout: FanOut
    scanner: Scanner
    metrics: Metrics
    cipher: FieldCipher
    notifier: Notifier
    clock: Callable[[], datetime] = field(default=utc_now)
    # The server's limits on uploads being read and exports being built; None in commands.
    limits: ResourceLimits | None = None
