"""What actions need, in one object: the store, fan-out, scanner, metrics, limits, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chat_service.metrics import Metrics
from chat_service.privacy.webhooks import WebhookNotifier
from chat_service.resources import ResourceLimits
from chat_service.scanning import Scanner
from chat_service.settings import Settings
from chat_service.storage import Store
from chat_service.storage.crypto import FieldCipher
from chat_service.ws.connections import FanOut


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store
    fanout: FanOut
    scanner: Scanner
    metrics: Metrics
    cipher: FieldCipher
    notifier: WebhookNotifier
    clock: Callable[[], datetime] = field(default=utc_now)
    # The server's limits on uploads being read and exports being built; None in commands.
    limits: ResourceLimits | None = None
