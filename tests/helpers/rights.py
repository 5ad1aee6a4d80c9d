"""Helpers for the data-rights tests: deletion requests and legal holds over HTTP, a webhook
notifier with one configured recipient, raw scans of the store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from bson import json_util

from chat_service.privacy.webhooks import WebhookNotifier, load_webhook_config
from tests.helpers.consent import headers, raw_db, services_of
from tests.helpers.ws import Client

WEBHOOK_SECRET_ENV = "TEST_RIGHTS_WEBHOOK_SECRET"
WEBHOOK_SECRET = "rights-webhook-secret-" + "s" * 32
RETRY = """
[retry]
max_attempts = 3
initial_backoff_secs = 10.0
backoff_multiplier = 2.0
max_backoff_secs = 60.0
jitter_ratio = 0.2
request_timeout_secs = 0.5
poll_interval_secs = 0.05
"""


async def notifier_for(client: Client, config_dir: Path) -> WebhookNotifier:
    """A notifier with one recipient ("crm", on a loopback port nothing listens on) that
    subscribes to customer.deleted, its secret from an environment mapping."""
    text = (
        "webhooks = ["
        '{name = "crm", url = "http://127.0.0.1:9/hook", events = ["customer.deleted"], '
        f'secret_env = "{WEBHOOK_SECRET_ENV}"}}'
        "]\n" + RETRY
    )
    path = config_dir / "webhooks.toml"
    await asyncio.to_thread(path.write_text, text, "utf-8")
    config = await asyncio.to_thread(
        load_webhook_config, config_dir, {WEBHOOK_SECRET_ENV: WEBHOOK_SECRET}
    )
    services = services_of(client)
    return WebhookNotifier(config, services.store.webhook_deliveries, clock=services.clock)


async def file_deletion(
    client: Client, customer_id: str, role: str = "customer", sub: str | None = None
) -> tuple[int, dict[str, Any]]:
    response = await client.post(
        f"/api/privacy/customers/{customer_id}/deletion-requests",
        headers=headers(client, role, sub or customer_id),
    )
    body: dict[str, Any] = await response.json()
    return response.status, body


async def set_hold(
    client: Client, path: str, *, hold: bool, reason: str, sub: str = "po-1"
) -> tuple[int, dict[str, Any]]:
    """POST a hold change (`path`: "/api/conversations/<id>" or
    "/api/privacy/customers/<id>") as a privacy officer."""
    response = await client.post(
        f"{path}/legal-hold",
        json={"hold": hold, "reason": reason},
        headers=headers(client, "privacy_officer", sub),
    )
    body: dict[str, Any] = await response.json()
    return response.status, body


async def docs(client: Client, collection: str, **query: Any) -> list[dict[str, Any]]:
    cursor = raw_db(client)[collection].find(query)
    return [doc async for doc in cursor]


async def dump_text(client: Client, collection: str) -> str:
    """Every document of a collection as extended JSON, to scan for a value."""
    return json.dumps([json_util.dumps(doc) for doc in await docs(client, collection)])
