"""Privacy notices to other recipients of customers' data (privacy policy 7.2.2).

When a customer's data is deleted, or a consent withdrawn, every webhook in
`config/webhooks.toml` that subscribes to the event receives a signed JSON notice, with
retries and exponential backoff, a delivery log, and a dead letter for the privacy report.

Wire format (one POST per notice and recipient; redirects are not followed and only a 2xx
answer counts as delivered)::

    Content-Type: application/json
    X-Chat-Service-Event: customer.deleted            (or consent.withdrawn)
    X-Chat-Service-Delivery: wd_<24 hex>              (the same on every retry: de-duplicate)
    X-Chat-Service-Timestamp: <unix seconds of this attempt>
    X-Chat-Service-Signature: v1=<hex HMAC-SHA256(secret, b"<timestamp>." + body)>

    {"data": {"customer_id": "...", ...}, "delivery_id": "wd_...", "event": "customer.deleted",
     "event_id": "ev_...", "occurred_at": "2026-11-01T12:00:00.000Z"}

A receiver verifies with `verify(secret, timestamp, raw_body, signature, now)`: the HMAC
over the exact bytes received, and a timestamp within 5 minutes of its clock (replays).

The body carries ids and event facts only, never message content: `enqueue` accepts only the
fields listed in `EVENT_FIELDS`, as strings (ids), integers, booleans or lists of strings.

Durability: `enqueue` stores one "pending" delivery per subscribed webhook before anything is
sent, so a crash loses nothing; `deliver_due` sends what is due (at least once: a receiver
may see a delivery id twice). The clock is injected (`now` parameters, `clock` for `run`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import re
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from chat_service.privacy_settings import RetryPolicy as RetryPolicy
from chat_service.privacy_settings import Webhook as Webhook
from chat_service.privacy_settings import WebhookConfig as WebhookConfig
from chat_service.privacy_settings import load_webhook_config as load_webhook_config
from chat_service.stopping import wait_or_stop
from chat_service.storage.webhook_deliveries import (
    STATES,
    AttemptDoc,
    AttemptOutcome,
    DeliveryDoc,
    WebhookDeliveries,
    WebhookSummary,
)

logger = logging.getLogger(__name__)


# The only fields a notice may carry: ids and facts about the event, never content.
EVENT_FIELDS: dict[str, frozenset[str]] = {
    "customer.deleted": frozenset(
        {"customer_id", "request_id", "scope", "categories", "conversation_ids", "message_ids"}
    ),
    "consent.withdrawn": frozenset(
        {"customer_id", "request_id", "purpose", "categories", "policy_version", "message_ids"}
    ),
}
MAX_FIELD_CHARS = 200
MAX_LIST_ITEMS = 10_000

HEADER_EVENT = "X-Chat-Service-Event"
HEADER_DELIVERY = "X-Chat-Service-Delivery"
HEADER_TIMESTAMP = "X-Chat-Service-Timestamp"
HEADER_SIGNATURE = "X-Chat-Service-Signature"
SIGNATURE_SCHEME = "v1"
DEFAULT_TOLERANCE_SECS = 300.0

# Beyond the request timeout, how long a claimed delivery stays invisible to other senders.
LEASE_MARGIN_SECS = 30.0
BATCH = 100
MAX_CONCURRENT_SENDS = 8
MAX_ERROR_CHARS = 300
USER_AGENT = "chat-service-webhooks/1"

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")


# -- signing -------------------------------------------------------------------------------


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over `b"<timestamp>." + body`, as hex."""
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed_headers(
    secret: bytes, timestamp: int, body: bytes, *, event: str, delivery_id: str
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        HEADER_EVENT: event,
        HEADER_DELIVERY: delivery_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: f"{SIGNATURE_SCHEME}={sign(secret, timestamp, body)}",
    }


def verify(
    secret: bytes,
    timestamp: int | str,
    body: bytes,
    signature: str,
    now: datetime | float,
    tolerance_secs: float = DEFAULT_TOLERANCE_SECS,
) -> bool:
    """For receivers: True if `signature` (the header, `v1=<hex>`, several entries separated
    by commas allowed) signs these exact body bytes with `secret`, and `timestamp` (the header)
    is within `tolerance_secs` of `now` (a datetime or unix seconds) either way."""
    if isinstance(timestamp, str):
        if not _TIMESTAMP.fullmatch(timestamp):
            return False
        timestamp = int(timestamp)
    elif isinstance(timestamp, bool) or timestamp < 0:
        return False
    now_secs = now.timestamp() if isinstance(now, datetime) else float(now)
    if abs(now_secs - timestamp) > tolerance_secs:
        return False
    expected = sign(secret, timestamp, body).encode()
    for part in signature.split(","):
        scheme, _, value = part.strip().partition("=")
        if scheme == SIGNATURE_SCHEME and hmac.compare_digest(value.encode(), expected):
            return True
    return False


# -- notices -------------------------------------------------------------------------------


def check_payload(event: str, payload: Mapping[str, Any]) -> None:
    """ValueError unless the payload holds only this event's fields, as ids and facts."""
    if event not in EVENT_FIELDS:
        raise ValueError(f"unknown webhook event {event!r}")
    unknown = set(payload) - EVENT_FIELDS[event]
    if unknown:
        raise ValueError(f"{event}: fields not allowed in a notice: {sorted(unknown)}")
    if not isinstance(payload.get("customer_id"), str) or not payload["customer_id"]:
        raise ValueError(f"{event}: customer_id is required")
    for key, value in payload.items():
        if not _fact(value):
            raise ValueError(
                f"{event}: field {key!r} must be an id or a fact (a string of at most "
                f"{MAX_FIELD_CHARS} characters, an integer, a boolean or a list of such strings)"
            )


def _fact(value: object) -> bool:
    if value is None or isinstance(value, bool | int):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_FIELD_CHARS
    if isinstance(value, list | tuple):
        return len(value) <= MAX_LIST_ITEMS and all(
            isinstance(v, str) and len(v) <= MAX_FIELD_CHARS for v in value
        )
    return False


def delivery_id_for(event_id: str, webhook: str) -> str:
    """Deterministic, so enqueueing the same event twice stores each delivery once."""
    digest = hashlib.sha256(f"{event_id}\0{webhook}".encode()).hexdigest()
    return "wd_" + digest[:24]


def _ms(moment: datetime) -> datetime:
    """BSON dates keep milliseconds: truncate, so a stored time never exceeds ours."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return _ms(now.astimezone(UTC))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WebhookNotifier:
    """Stores notices durably, sends what is due, retries with backoff, keeps dead letters."""

    def __init__(
        self,
        config: WebhookConfig,
        deliveries: WebhookDeliveries,
        *,
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._deliveries = deliveries
        self._clock = clock
        self._rng = rng or random.SystemRandom()

    @property
    def config(self) -> WebhookConfig:
        return self._config

    async def enqueue(
        self,
        event: str,
        payload: Mapping[str, Any],
        now: datetime,
        *,
        event_id: str | None = None,
    ) -> list[str]:
        """One "pending" delivery per webhook subscribed to `event`, stored before any
        attempt; returns their ids (none when nobody subscribes). With the same `event_id`
        (e.g. the deletion request's id) a repeated call stores nothing new."""
        check_payload(event, payload)
        if event_id is not None and not _ID.fullmatch(event_id):
            raise ValueError("event_id must be 1-100 characters of [A-Za-z0-9_.:-]")
        subscribers = self._config.subscribers(event)
        if not subscribers:
            return []
        now = _aware(now)
        event_id = event_id or "ev_" + secrets.token_hex(12)
        ids: list[str] = []
        for webhook in subscribers:
            delivery_id = delivery_id_for(event_id, webhook.name)
            body = {
                "delivery_id": delivery_id,
                "event_id": event_id,
                "event": event,
                "occurred_at": _iso(now),
                "data": dict(payload),
            }
            inserted = await self._deliveries.insert(
                {
                    "_id": delivery_id,
                    "webhook": webhook.name,
                    "event": event,
                    "event_id": event_id,
                    "customer_id": payload["customer_id"],
                    "body": json.dumps(
                        body, separators=(",", ":"), sort_keys=True, ensure_ascii=False
                    ),
                    "state": "pending",
                    "created_at": now,
                    "next_attempt_at": now,
                    "attempt_count": 0,
                    "attempts": [],
                    "last_error": None,
                }
            )
            if not inserted:
                logger.info(
                    "webhook notice already queued",
                    extra={"delivery_id": delivery_id, "webhook": webhook.name},
                )
            ids.append(delivery_id)
        return ids

    async def deliver_due(self, now: datetime) -> int:
        """Attempt every pending delivery due at `now`; returns how many attempts were made."""
        now = _aware(now)
        batch = await self._deliveries.due(now, BATCH)
        if not batch:
            return 0
        attempted = 0
        limit = asyncio.Semaphore(MAX_CONCURRENT_SENDS)
        timeout = aiohttp.ClientTimeout(total=self._config.retry.request_timeout_secs)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while batch:
                async with asyncio.TaskGroup() as group:
                    tasks = [
                        group.create_task(self._attempt(session, limit, doc, now)) for doc in batch
                    ]
                attempted += sum(task.result() for task in tasks)
                if len(batch) < BATCH:
                    break
                batch = await self._deliveries.due(now, BATCH)
        return attempted

    async def _attempt(
        self,
        session: aiohttp.ClientSession,
        limit: asyncio.Semaphore,
        doc: DeliveryDoc,
        now: datetime,
    ) -> bool:
        retry = self._config.retry
        lease = timedelta(seconds=retry.request_timeout_secs + LEASE_MARGIN_SECS)
        async with limit:
            claimed = await self._deliveries.claim(doc["_id"], now, now + lease)
            if claimed is None:
                return False  # another sender took it
            webhook = self._config.get(claimed["webhook"])
            started = time.monotonic()
            status: int | None = None
            error: str | None
            # A recipient removed from the configuration (or from this event) cannot be
            # reached any more: a dead letter at once, for the privacy officer to follow up.
            unreachable = webhook is None or claimed["event"] not in webhook.events
            if webhook is None or unreachable:
                error = f"webhook {claimed['webhook']!r} is no longer configured for this event"
            else:
                status, error = await self._post(session, webhook, claimed, now)
        attempt: AttemptDoc = {
            "at": now,
            "status": status,
            "error": error,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
        count = int(claimed["attempt_count"]) + 1
        log = {"delivery_id": claimed["_id"], "webhook": claimed["webhook"], "attempt": count}
        changes: AttemptOutcome
        if error is None:
            changes = {"state": "delivered", "delivered_at": now, "last_error": None}
            logger.info("webhook notice delivered", extra=log)
        elif count >= retry.max_attempts or unreachable:
            changes = {"state": "dead", "dead_at": now, "last_error": error}
            logger.error("webhook notice undeliverable: dead letter", extra={**log, "error": error})
        else:
            delay = retry.backoff_secs(count, self._rng.random())
            next_at = _ms(now + timedelta(seconds=delay))
            changes = {"next_attempt_at": next_at, "last_error": error}
            logger.warning(
                "webhook notice attempt failed; will retry",
                extra={**log, "error": error, "next_attempt_at": _iso(next_at)},
            )
        await self._deliveries.record_attempt(claimed["_id"], attempt, changes)
        return True

    async def _post(
        self,
        session: aiohttp.ClientSession,
        webhook: Webhook,
        doc: DeliveryDoc,
        now: datetime,
    ) -> tuple[int | None, str | None]:
        """(HTTP status, error): error None only for a 2xx answer."""
        body = str(doc["body"]).encode()
        timestamp = int(now.timestamp())
        headers = signed_headers(
            webhook.secret.reveal().encode(),
            timestamp,
            body,
            event=str(doc["event"]),
            delivery_id=str(doc["_id"]),
        )
        try:
            async with session.post(
                webhook.url, data=body, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
        except TimeoutError:
            return None, f"timed out after {self._config.retry.request_timeout_secs:g}s"
        except aiohttp.ClientError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        except Exception as exc:  # recorded as a failed attempt rather than lost
            logger.exception("webhook attempt raised", extra={"webhook": webhook.name})
            return None, type(exc).__name__
        if 200 <= status < 300:
            return status, None
        if 300 <= status < 400:
            return status, f"HTTP {status} (redirects are not followed)"
        return status, f"HTTP {status}"

    async def run(self, stop: asyncio.Event) -> None:
        """The server's loop: deliver what is due every `poll_interval_secs` until `stop`."""
        interval = self._config.retry.poll_interval_secs
        while not stop.is_set():
            try:
                await self.deliver_due(self._clock())
            except Exception:
                logger.exception("webhook delivery round failed; will try again")
            await wait_or_stop(stop, interval)

    async def summary(self, dead_limit: int = 100) -> WebhookSummary:
        """For the privacy report: recipients, deliveries per state, the dead letters."""
        counts = await self._deliveries.count_by_state()
        oldest = await self._deliveries.oldest_pending()
        dead = await self._deliveries.dead(dead_limit)
        return {
            "webhooks": [
                {"name": w.name, "events": sorted(w.events)} for w in self._config.webhooks
            ],
            "counts": {state: counts.get(state, 0) for state in STATES},
            "oldest_pending_at": _iso(oldest["created_at"]) if oldest else None,
            "dead": [
                {
                    "delivery_id": d["_id"],
                    "webhook": d["webhook"],
                    "event": d["event"],
                    "event_id": d["event_id"],
                    "customer_id": d.get("customer_id"),
                    "created_at": _iso(d.get("created_at")),
                    "dead_at": _iso(d.get("dead_at")),
                    "attempts": d.get("attempt_count", 0),
                    "last_error": d.get("last_error"),
                }
                for d in dead
            ],
        }
