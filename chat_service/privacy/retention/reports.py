"""What a retention run reports: per-rule outcomes, the run's summary (returned, logged,
printed by the CLI) and its record in `retention_runs`, and the anonymised statistics that
replace a conversation an `anonymise` rule removes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NotRequired, Required, TypedDict

from chat_service.privacy_settings import Action, CountsFrom, DataKind, RetentionConfig
from chat_service.storage.retention_runs import (
    AnonymisedConversation,
    ClosedConversationRow,
    ConversationMessageRow,
)

ERRORS_KEPT = 50  # error entries kept in a summary (the count is always exact)
UNSENT_STEP = "unsent_attachments"  # the step outside the rules (config/attachments.toml)

RunStatus = Literal["succeeded", "failed", "interrupted", "lease_held"]


class RuleOutcomeJson(TypedDict):
    data: DataKind
    action: Action
    counts_from: CountsFrom
    period_days: float
    cutoff: str
    count: int
    held_skipped: int
    errors: int
    messages: NotRequired[int | None]
    keys_shredded: NotRequired[int | None]
    attachments: NotRequired[int]


class UnsentOutcomeJson(TypedDict):
    data: Literal["unsent_attachments"]
    action: Literal["delete"]
    counts_from: Literal["attachment_uploaded"]
    period_hours: float
    cutoff: str
    count: int
    held_skipped: int
    errors: int


class ErrorWhere(TypedDict, total=False):
    """Where a failure happened (ids, capped at 20)."""

    message_id: str
    message_ids: list[str]
    conversation_ids: list[str]
    attachment_id: str
    customer_key: bool


class ErrorEntry(ErrorWhere):
    """One failure in a run: the rule (or step), the error, and where."""

    rule: Required[str]
    error: Required[str]


class LeaseInfo(TypedDict):
    """Who holds the lease a run could not take, and until when."""

    holder: str | None
    expires_at: str | None


class Totals(TypedDict):
    delete: int
    anonymise: int
    held_skipped: int
    errors: int


class SummaryJson(TypedDict):
    run_id: str | None
    status: RunStatus
    ok: bool
    dry_run: bool
    now: str
    holder: str
    started_at: str
    duration_ms: float
    batches: int
    rules: dict[str, RuleOutcomeJson]
    unsent_attachments: UnsentOutcomeJson | None
    totals: Totals
    errors: list[ErrorEntry]
    lease: LeaseInfo | None


# -- the summary --------------------------------------------------------------------------


@dataclass(slots=True)
class RuleOutcome:
    data: DataKind
    action: Action
    counts_from: CountsFrom
    period_days: float
    cutoff: datetime
    count: int = 0  # messages (conversations for data = "conversations") acted on
    held_skipped: int = 0  # documents the rule would have acted on but for a legal hold
    errors: int = 0
    messages: int | None = None  # conversations only: their messages removed
    keys_shredded: int | None = None  # conversations only: customers left with no data
    attachments: int | None = None  # rules that remove messages: their attachments removed

    def to_json(self) -> RuleOutcomeJson:
        out: RuleOutcomeJson = {
            "data": self.data,
            "action": self.action,
            "counts_from": self.counts_from,
            "period_days": self.period_days,
            "cutoff": self.cutoff.isoformat(),
            "count": self.count,
            "held_skipped": self.held_skipped,
            "errors": self.errors,
        }
        if self.messages is not None:
            out["messages"] = self.messages
            out["keys_shredded"] = self.keys_shredded
        if self.attachments is not None:
            out["attachments"] = self.attachments
        return out


@dataclass(slots=True)
class UnsentOutcome:
    """The step for uploads no message used (config/attachments.toml: unsent_retention_hours):
    deleted with their blobs once that old. Not a rule of retention.toml: an upload nobody
    sent is a half-finished message, not a record kept for a purpose."""

    period_hours: float
    cutoff: datetime
    count: int = 0
    held_skipped: int = 0
    errors: int = 0

    def to_json(self) -> UnsentOutcomeJson:
        return {
            "data": "unsent_attachments",
            "action": "delete",
            "counts_from": "attachment_uploaded",
            "period_hours": self.period_hours,
            "cutoff": self.cutoff.isoformat(),
            "count": self.count,
            "held_skipped": self.held_skipped,
            "errors": self.errors,
        }


@dataclass(slots=True)
class RetentionSummary:
    run_id: str | None
    status: RunStatus
    dry_run: bool
    now: datetime
    holder: str
    started_at: datetime
    duration_ms: float = 0.0
    batches: int = 0
    rules: dict[str, RuleOutcome] = field(default_factory=dict)
    unsent_attachments: UnsentOutcome | None = None
    errors: list[ErrorEntry] = field(default_factory=list)
    error_count: int = 0
    lease: LeaseInfo | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def totals(self) -> Totals:
        totals: Totals = {
            "delete": 0,
            "anonymise": 0,
            "held_skipped": 0,
            "errors": self.error_count,
        }
        for outcome in self.rules.values():
            if outcome.action == "delete":
                totals["delete"] += outcome.count
            else:
                totals["anonymise"] += outcome.count
            totals["held_skipped"] += outcome.held_skipped
        if self.unsent_attachments is not None:
            totals["delete"] += self.unsent_attachments.count
            totals["held_skipped"] += self.unsent_attachments.held_skipped
        return totals

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON: returned to the CLI and tests, logged, recorded."""
        return dict(self.report())

    def report(self) -> SummaryJson:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "ok": self.ok,
            "dry_run": self.dry_run,
            "now": self.now.isoformat(),
            "holder": self.holder,
            "started_at": self.started_at.isoformat(),
            "duration_ms": round(self.duration_ms, 1),
            "batches": self.batches,
            "rules": {name: outcome.to_json() for name, outcome in self.rules.items()},
            "unsent_attachments": self.unsent_attachments.to_json()
            if self.unsent_attachments is not None
            else None,
            "totals": self.totals(),
            "errors": self.errors,
            "lease": self.lease,
        }


def new_summary(
    config: RetentionConfig,
    *,
    run_id: str | None,
    dry_run: bool,
    now: datetime,
    holder: str,
    started_at: datetime,
    unsent_hours: float,
) -> RetentionSummary:
    """A run's summary before it starts: every rule's cutoff as of `now`, nothing done."""
    summary = RetentionSummary(
        run_id=run_id,
        status="succeeded",
        dry_run=dry_run,
        now=now,
        holder=holder,
        started_at=started_at,
    )
    for name, rule in config.rules.items():
        summary.rules[name] = RuleOutcome(
            rule.data, rule.action, rule.counts_from, rule.period_days, now - rule.period
        )
    summary.unsent_attachments = UnsentOutcome(unsent_hours, now - timedelta(hours=unsent_hours))
    return summary


def day(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).date().isoformat() if moment is not None else None


def run_record(summary: RetentionSummary, *, status: str) -> dict[str, Any]:
    """The run's document in `retention_runs` when it starts."""
    doc: dict[str, Any] = {
        **summary.report(),
        "_id": summary.run_id,
        "status": status,
        "now": summary.now,
        "started_at": summary.started_at,
        "batches_done": 0,
        "batches": [],
    }
    doc.pop("run_id")
    doc.pop("ok")
    return doc


def finished_fields(summary: RetentionSummary) -> dict[str, Any]:
    """What the run's document gets when it ends."""
    doc = summary.report()
    return {
        "status": summary.status,
        "ok": summary.ok,
        "finished_at": summary.started_at + timedelta(milliseconds=summary.duration_ms),
        "duration_ms": doc["duration_ms"],
        "rules": doc["rules"],
        UNSENT_STEP: doc["unsent_attachments"],
        "totals": doc["totals"],
        "errors": doc["errors"],
    }


# -- anonymised conversations ----------------------------------------------------------------


@dataclass(slots=True)
class ConversationTally:
    """What an anonymised conversation keeps of its messages: counts, never content."""

    messages: int = 0
    by_sender_role: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    findings_by_category: dict[str, int] = field(default_factory=dict)
    consent: dict[str, int] = field(default_factory=dict)

    def add(self, message: ConversationMessageRow) -> None:
        self.messages += 1
        role = message["sender_role"]
        role = "unknown" if role is None else role
        self.by_sender_role[role] = self.by_sender_role.get(role, 0) + 1
        kind = message["kind"]
        # (a message without a kind is counted as "unknown", once: as it always was)
        key, seen = ("unknown", "") if kind is None else (kind, kind)
        self.by_kind[key] = self.by_kind.get(seen, 0) + 1
        for category in message["finding_categories"]:
            category = "unknown" if category is None else category
            self.findings_by_category[category] = self.findings_by_category.get(category, 0) + 1
        consent = message["consent"]
        if consent:
            self.consent[consent] = self.consent.get(consent, 0) + 1


def anonymised_conversation(
    rule: str, conversation: ClosedConversationRow, tally: ConversationTally, now: datetime
) -> AnonymisedConversation:
    """The statistics kept of a conversation an `anonymise` rule removes."""
    opened, closed = conversation["created_at"], conversation["closed_at"]
    return {
        "_id": "an_" + os.urandom(12).hex(),  # no link back to the conversation
        "rule": rule,
        "opened_day": day(opened),
        "closed_day": day(closed),
        "duration_minutes": round((closed - opened).total_seconds() / 60)
        if opened is not None and closed is not None
        else None,
        "minor": conversation["minor"],
        "assigned": conversation["agent_id"] is not None,
        "messages": tally.messages,
        "by_sender_role": tally.by_sender_role,
        "by_kind": tally.by_kind,
        "findings_by_category": tally.findings_by_category,
        "consent": tally.consent,
        "anonymised_day": day(now),
    }
