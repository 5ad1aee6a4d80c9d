"""The privacy officer's report, as one JSON document (docs/privacy-export.md).

Sections: open deletion requests by working days left (and which are overdue), consent
decisions per category, active legal holds and what each keeps, retention runs and what
they purged, and privacy notices to other recipients (webhook deliveries, dead letters).

Needs only the store and the settings, so the command line (`chat-service privacy report`)
and the server (`GET /api/privacy/report`) produce the same document. Collections that do
not exist yet read as empty; a configuration problem (holiday table, webhooks file) becomes
an entry in `warnings` rather than a missing report.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from typing import NotRequired, TypedDict

from chat_service.errors import ConfigError
from chat_service.json_types import JsonValue
from chat_service.privacy.export import jsonable
from chat_service.privacy.webhooks import WebhookNotifier, load_webhook_config
from chat_service.services import Notifier
from chat_service.settings import Settings
from chat_service.storage import Store
from chat_service.storage.privacy_records import PrivacyRecords
from chat_service.storage.webhook_deliveries import STATES, DeliveryState, WebhookSummary
from chat_service.workdays import HolidayCalendar, load_holiday_calendar

FORMAT = "chat-service.privacy-report"
FORMAT_VERSION = 1
RECENT_RUNS = 20
MAX_RUN_ERRORS = 10
DECISIONS = ("granted", "refused", "expired", "withdrawn")


class OpenRequest(TypedDict):
    id: str | None
    customer_id: str | None
    status: str | None
    filed_by: JsonValue
    received_at: JsonValue
    due_at: JsonValue
    working_days_left: int | None
    overdue: bool | None


class Deletions(TypedDict):
    deadline_working_days: int | None
    counts: dict[str, int]
    open: list[OpenRequest]
    overdue: list[str | None]


class Consents(TypedDict):
    policy_version: str
    decisions_by_category: dict[str, dict[str, int]]
    customers_by_current_decision: dict[str, dict[str, int]]


class ActiveHold(TypedDict):
    id: str | None
    scope: str | None
    customer_id: str | None
    conversation_id: str | None
    reason: str | None
    set_by: JsonValue
    set_at: JsonValue
    keeps: dict[str, int]


class Holds(TypedDict):
    active_count: int
    lifted_count: int
    active: list[ActiveHold]


class RecentRun(TypedDict):
    id: JsonValue
    started_at: JsonValue
    finished_at: JsonValue
    now: JsonValue
    dry_run: bool
    status: JsonValue
    duration_ms: JsonValue
    rules: JsonValue
    unsent_attachments: JsonValue
    totals: JsonValue
    error_count: int
    errors: JsonValue


class Purged(TypedDict):
    """What one rule (or the unsent-uploads step) purged over every run."""

    action: JsonValue
    done: int
    held_skipped: int
    errors: int
    messages: NotRequired[int]  # a conversation rule: the messages removed with them


class Retention(TypedDict):
    runs_total: int
    dry_runs: int
    runs_by_status: dict[str, int]
    purged_by_rule: dict[str, Purged]
    purged_total: int
    recent: list[RecentRun]


class UnconfiguredWebhooks(TypedDict):
    """Without a valid webhooks configuration: what the delivery log holds."""

    webhooks: None
    counts: dict[DeliveryState, int]
    dead: list[JsonValue]


class PrivacyReport(TypedDict):
    format: str
    format_version: int
    generated_at: str
    deletion_requests: Deletions
    consents: Consents
    legal_holds: Holds
    retention: Retention
    webhooks: WebhookSummary | UnconfiguredWebhooks
    warnings: list[str]


async def privacy_report(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    notifier: Notifier | None = None,
) -> PrivacyReport:
    """The report as of `now` (aware). `notifier`: the server's, else built from config."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    records = PrivacyRecords(store)
    warnings: list[str] = []
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": now.isoformat(),
        "deletion_requests": await _deletions(records, settings, now, warnings),
        "consents": await _consents(records, settings),
        "legal_holds": await _holds(records),
        "retention": await _retention(records),
        "webhooks": await _webhooks(records, settings, notifier, warnings),
        "warnings": warnings,
    }


async def _deletions(
    records: PrivacyRecords, settings: Settings, now: datetime, warnings: list[str]
) -> Deletions:
    calendar: HolidayCalendar | None
    try:
        calendar = await asyncio.to_thread(load_holiday_calendar, settings.config_dir)
    except ConfigError as exc:
        calendar = None
        warnings.append(f"working days cannot be counted: {exc}")
    rows: list[OpenRequest] = []
    for doc in await records.open_deletion_requests():
        due_at = doc.get("due_at")
        left: int | None = None
        overdue: bool | None = None
        if isinstance(due_at, datetime) and due_at.tzinfo is not None:
            overdue = now > due_at
            if calendar is not None:
                try:
                    left = calendar.working_days_left(due_at, now)
                except ConfigError as exc:  # a date outside the holiday table
                    warnings.append(f"deletion request {doc.get('_id')}: {exc}")
        else:
            warnings.append(f"deletion request {doc.get('_id')} has no valid due_at")
        rows.append(
            {
                "id": doc.get("_id"),
                "customer_id": doc.get("customer_id"),
                "status": doc.get("status"),
                "filed_by": jsonable(doc.get("filed_by")),
                "received_at": jsonable(doc.get("received_at")),
                "due_at": jsonable(due_at),
                "working_days_left": left,
                "overdue": overdue,
            }
        )
    # Fewest working days left first; those that cannot be counted last, by due date.
    rows.sort(key=lambda r: (r["working_days_left"] is None, r["working_days_left"] or 0))
    return {
        "deadline_working_days": calendar.deadline_working_days if calendar else None,
        "counts": await records.deletion_request_counts(),
        "open": rows,
        "overdue": [r["id"] for r in rows if r["overdue"]],
    }


async def _consents(records: PrivacyRecords, settings: Settings) -> Consents:
    entries, current = await records.consent_counts()

    def table(counts: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
        return {c: {d: counts[c][d] for d in DECISIONS} for c in sorted(counts)}

    return {
        "policy_version": settings.consent.policy_version,
        "decisions_by_category": table(entries),
        "customers_by_current_decision": table(current),
    }


async def _holds(records: PrivacyRecords) -> Holds:
    active: list[ActiveHold] = [
        {
            "id": hold.get("_id"),
            "scope": hold.get("scope"),
            "customer_id": hold.get("customer_id"),
            "conversation_id": hold.get("conversation_id"),
            "reason": hold.get("reason"),
            "set_by": jsonable(hold.get("set_by")),
            "set_at": jsonable(hold.get("set_at")),
            "keeps": await records.held_counts(hold),
        }
        for hold in await records.active_holds()
    ]
    return {
        "active_count": len(active),
        "lifted_count": await records.lifted_hold_count(),
        "active": active,
    }


async def retention_summary(store: Store) -> Retention:
    """The report's retention section alone (the privacy officer's workspace shows it)."""
    return await _retention(PrivacyRecords(store))


async def _retention(records: PrivacyRecords) -> Retention:
    recent: list[RecentRun] = [
        {
            "id": run.get("_id"),
            "started_at": jsonable(run.get("started_at")),
            "finished_at": jsonable(run.get("finished_at")),
            "now": jsonable(run.get("now")),
            "dry_run": bool(run.get("dry_run")),
            "status": run.get("status"),
            "duration_ms": run.get("duration_ms"),
            "rules": jsonable(run.get("rules") or {}),
            "unsent_attachments": jsonable(run.get("unsent_attachments")),
            "totals": jsonable(run.get("totals")),
            "error_count": len(run.get("errors") or []),
            "errors": jsonable((run.get("errors") or [])[:MAX_RUN_ERRORS]),
        }
        for run in await records.retention_runs(RECENT_RUNS)
    ]
    statuses: Counter[str] = Counter()
    purged: dict[str, Purged] = {}
    dry_runs = 0
    for run in await records.all_retention_runs():
        statuses[str(run.get("status"))] += 1
        if run.get("dry_run"):
            dry_runs += 1
            continue  # a dry run changes nothing: not counted as purged
        steps = dict(run.get("rules") or {})
        if run.get("unsent_attachments"):  # uploads never sent (config/attachments.toml)
            steps["unsent_attachments"] = run["unsent_attachments"]
        for name, rule in steps.items():
            total = purged.setdefault(
                name, {"action": rule.get("action"), "done": 0, "held_skipped": 0, "errors": 0}
            )
            total["done"] += _count(rule.get("done", rule.get("count")))
            total["held_skipped"] += _count(rule.get("held_skipped"))
            total["errors"] += _count(rule.get("errors"))
            if "messages" in rule:  # a conversation rule: the messages removed with them
                total["messages"] = total.get("messages", 0) + _count(rule.get("messages"))
    return {
        "runs_total": sum(statuses.values()),
        "dry_runs": dry_runs,
        "runs_by_status": dict(sorted(statuses.items())),
        "purged_by_rule": dict(sorted(purged.items())),
        "purged_total": sum(p["done"] for p in purged.values()),
        "recent": recent,
    }


def _count(value: object) -> int:
    """A stored count; anything else (missing, a list of errors) as its size or 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, list):
        return len(value)
    return 0


async def _webhooks(
    records: PrivacyRecords,
    settings: Settings,
    notifier: Notifier | None,
    warnings: list[str],
) -> WebhookSummary | UnconfiguredWebhooks:
    if notifier is None:
        try:
            config = await asyncio.to_thread(load_webhook_config, settings.config_dir)
        except ConfigError as exc:
            warnings.append(f"webhook configuration: {exc}")
        else:
            notifier = WebhookNotifier(config, records.webhook_deliveries)
    if notifier is not None:
        return await notifier.summary()
    # Without a valid configuration, still report what the delivery log holds.
    counts = await records.webhook_deliveries.count_by_state()
    dead = await records.webhook_deliveries.dead()
    return {
        "webhooks": None,
        "counts": {state: counts.get(state, 0) for state in STATES},
        "dead": [jsonable(d) for d in dead],
    }
