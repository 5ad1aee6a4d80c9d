"""Retention: delete or anonymise personal information once its purpose is served
(privacy policy 4, 5.3, 2.4; rules in config/retention.toml, reasons in docs/retention.md).

Design principle (after zulip's `zerver/lib/retention.py`): the job is a sequence of
small, bounded, independently durable steps. Each rule walks its documents oldest first in
keyset-paged batches of at most `batch_size`; each batch is one query and a few idempotent
writes, and is recorded in `retention_runs` before the next one starts, with the lease
renewed. A run killed at any point leaves every document done, untouched, or (a
conversation being anonymised) in a state the next run finishes without doing anything
twice; processed documents no longer match, so the next run simply continues. Data under
an active legal hold is excluded in the query itself (holds are re-read at the start of
every batch), and counted separately with the same query restricted to held data. A dry
run walks exactly the same pages and only counts, so its summary has the same shape and,
on the same data, the same numbers. The clock is injected (`now`, aware datetimes only)
and decides every cutoff; the wall clock is used only for the lease and durations. One
instance runs at a time: a lease document in `leases`, taken atomically. Failures are
loud: every error is logged on the `chat_service.retention` logger, counted in the
Prometheus counter passed in, kept in the run record, and makes the run `failed` (the CLI
exits non-zero). Pictures and files go with the messages and conversations a rule removes
(blobs first, before their messages), and uploads no message used expire after
`unsent_retention_hours` (config/attachments.toml), a step after the rules.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chat_service.actions.consent import change_secrets
from chat_service.errors import ConfigError
from chat_service.services import Services
from chat_service.stopping import wait_or_stop
from chat_service.storage.retention_runs import Holds, MessageQuery, RetentionStore, active_holds
from chat_service.tomlfile import load_toml

logger = logging.getLogger("chat_service.retention")

LEASE_NAME = "retention"
CAS_RETRIES = 5
ERRORS_KEPT = 50  # error entries kept in a summary (the count is always exact)
DEVICE_CATEGORY = "device"
KEEP_DEVICE_CHARS = 8  # an IMEI's type allocation code, a MAC address's vendor prefix
UNSENT_STEP = "unsent_attachments"  # the step outside the rules (config/attachments.toml)

DataKind = Literal["connection_data", "sensitive_values", "child_without_guardian", "conversations"]
CountsFrom = Literal["message_created", "conversation_closed"]
Action = Literal["delete", "anonymise"]
RunStatus = Literal["succeeded", "failed", "interrupted", "lease_held"]

_ALLOWED: dict[DataKind, tuple[set[str], set[str]]] = {
    # data kind: (moments it may count from, actions)
    "connection_data": ({"message_created"}, {"anonymise", "delete"}),
    "sensitive_values": ({"message_created", "conversation_closed"}, {"delete"}),
    "child_without_guardian": ({"message_created"}, {"delete"}),
    "conversations": ({"conversation_closed"}, {"anonymise", "delete"}),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RetentionRule(_Frozen):
    purpose: str = Field(min_length=1)
    data: DataKind
    categories: tuple[str, ...] = ()
    counts_from: CountsFrom
    period_days: float = Field(ge=0)
    action: Action

    @model_validator(mode="after")
    def _consistent(self) -> RetentionRule:
        moments, actions = _ALLOWED[self.data]
        if self.counts_from not in moments:
            raise ValueError(f"{self.data} counts from one of {sorted(moments)}")
        if self.action not in actions:
            raise ValueError(f"{self.data} allows actions {sorted(actions)}")
        if (self.data == "sensitive_values") != bool(self.categories):
            raise ValueError("categories are required for sensitive_values, and only there")
        return self

    @property
    def period(self) -> timedelta:
        return timedelta(days=self.period_days)


class RetentionConfig(_Frozen):
    interval_secs: float = Field(gt=0)
    batch_size: int = Field(ge=1, le=10_000)
    pause_between_batches_secs: float = Field(ge=0, le=10)
    lease_secs: float = Field(ge=5)
    rules: dict[str, RetentionRule] = Field(min_length=1)


def load_retention_config(config_dir: Path) -> RetentionConfig:
    """`config/retention.toml`, validated; categories must exist in categories.toml."""
    path = config_dir / "retention.toml"
    try:
        config = RetentionConfig.model_validate(load_toml(path))
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    categories = load_toml(config_dir / "categories.toml").get("categories", {})
    known = set(categories) if isinstance(categories, dict) else set()
    for name, rule in config.rules.items():
        unknown = set(rule.categories) - known
        if unknown:
            raise ConfigError(f"{path}: rules.{name}: unknown categories {sorted(unknown)}")
    return config


def default_holder(kind: str) -> str:
    """Who takes the lease: host, process and kind ("cli" or "server")."""
    return f"{socket.gethostname()}:{os.getpid()}:{kind}"


def utc_now() -> datetime:
    return datetime.now(UTC)


UPLOAD_PREFIX = "upload-"  # attachments/intake.py names its temporary files so (mkstemp)


def sweep_stale_uploads(tmp_dir: Path, older_than_secs: float) -> int:
    """Delete the temporary upload files a process killed mid-upload left in `tmp_dir`
    (a live upload removes its own in a `finally`), if untouched for `older_than_secs`:
    far longer than an upload in progress goes without a write. Blocking: run it in a
    thread, at start-up. The number deleted."""
    if not tmp_dir.is_dir():
        return 0
    limit = time.time() - older_than_secs
    deleted = 0
    for path in tmp_dir.iterdir():
        try:
            if (
                path.name.startswith(UPLOAD_PREFIX)
                and path.is_file()
                and path.stat().st_mtime < limit
            ):
                path.unlink()
                deleted += 1
        except FileNotFoundError:
            continue  # removed meanwhile
    if deleted:
        logger.warning("stale temporary uploads deleted", extra={"count": deleted})
    return deleted


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

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
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

    def to_json(self) -> dict[str, Any]:
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
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    lease: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def totals(self) -> dict[str, int]:
        totals = {"delete": 0, "anonymise": 0, "held_skipped": 0, "errors": self.error_count}
        for outcome in self.rules.values():
            totals[outcome.action] += outcome.count
            totals["held_skipped"] += outcome.held_skipped
        if self.unsent_attachments is not None:
            totals["delete"] += self.unsent_attachments.count
            totals["held_skipped"] += self.unsent_attachments.held_skipped
        return totals

    def to_json(self) -> dict[str, Any]:
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
            UNSENT_STEP: self.unsent_attachments.to_json()
            if self.unsent_attachments is not None
            else None,
            "totals": self.totals(),
            "errors": self.errors,
            "lease": self.lease,
        }


class LeaseLost(Exception):
    """Another holder took the lease while this run was working (it ran out)."""


class _Stopped(Exception):
    """The stop event was set: end the run between two batches."""


# -- value transformations ----------------------------------------------------------------


def truncate_connection_value(entity_type: str, value: str) -> str:
    """Same length, so no offset moves: IPv4 keeps /24, IPv6 /48, device ids 8 characters."""

    def blank(part: str) -> str:
        return "".join("x" if ch.isalnum() else ch for ch in part)

    if entity_type == "IP_ADDRESS" and ":" in value:
        parts = value.split(":")
        return ":".join(parts[:3] + [blank(p) for p in parts[3:]])
    if entity_type == "IP_ADDRESS" and value.count(".") == 3:
        head, _, last = value.rpartition(".")
        return f"{head}.{blank(last)}"
    return value[:KEEP_DEVICE_CHARS] + blank(value[KEEP_DEVICE_CHARS:])


def _spans_checked(text: str, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    spans = [f for f in findings if f.get("category") == DEVICE_CATEGORY]
    for span in spans:
        if not (0 <= span["start"] < span["end"] <= len(text)):
            raise ValueError(
                f"finding {span.get('entity_type')} [{span['start']}, {span['end']}) lies "
                f"outside the message text ({len(text)} characters)"
            )
    return sorted(spans, key=lambda f: f["start"])


def truncate_connection_data(text: str, findings: list[dict[str, Any]]) -> str:
    out = text
    for span in _spans_checked(text, findings):
        start, end = span["start"], span["end"]
        out = (
            out[:start]
            + truncate_connection_value(span["entity_type"], text[start:end])
            + out[end:]
        )
    return out


def mask_connection_data(
    text: str, findings: list[dict[str, Any]], secrets: list[dict[str, Any]]
) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """Replace each connection-data span with `[ENTITY_TYPE]` and move every later offset."""
    spans: list[tuple[int, int, str]] = []
    for span in _spans_checked(text, findings):
        if spans and span["start"] < spans[-1][1]:
            continue  # overlaps the previous one, already masked with it
        spans.append((span["start"], span["end"], f"[{span['entity_type']}]"))

    def moved(position: int) -> int:
        return position + sum(len(r) - (e - s) for s, e, r in spans if e <= position)

    pieces, cursor = [], 0
    for start, end, replacement in spans:
        pieces += [text[cursor:start], replacement]
        cursor = end
    new_text = "".join([*pieces, text[cursor:]])
    masked = {(s, e): r for s, e, r in spans}
    new_findings = []
    for finding in findings:
        start, end = finding["start"], finding["end"]
        if (start, end) in masked:
            new_start = moved(start)
            finding = {**finding, "start": new_start, "end": new_start + len(masked[start, end])}
        else:
            finding = {**finding, "start": moved(start), "end": moved(end)}
        new_findings.append(finding)
    new_secrets = [
        {**s, "start": moved(s["start"]), "end": moved(s["end"])}
        if isinstance(s.get("start"), int) and isinstance(s.get("end"), int)
        else s
        for s in secrets
    ]
    return new_text, new_findings, new_secrets


def _day(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).date().isoformat() if moment is not None else None


# -- the run ------------------------------------------------------------------------------


class _Run:
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

    def error(self, rule: str, exc: BaseException, **where: Any) -> None:
        self.summary.error_count += 1
        if rule in self.summary.rules:
            self.summary.rules[rule].errors += 1
        elif rule == UNSENT_STEP and self.summary.unsent_attachments is not None:
            self.summary.unsent_attachments.errors += 1
        entry = {"rule": rule, "error": f"{type(exc).__name__}: {exc}"[:500], **where}
        if len(self.summary.errors) < ERRORS_KEPT:
            self.summary.errors.append(entry)
        logger.error(
            "retention rule failed",
            exc_info=exc,
            extra={"run_id": self.summary.run_id, "dry_run": self.dry_run, **entry},
        )
        if self.failures is not None:
            self.failures.inc()

    async def batch_done(
        self, rule: str, counts: dict[str, int], size: int, section: str = "rules"
    ) -> None:
        self.summary.batches += 1
        if not self.dry_run:
            assert self.summary.run_id is not None  # noqa: S101  # set for real runs
            batch = {"rule": rule, "size": size, **counts, "at": self.clock()}
            await self.rs.record_batch(self.summary.run_id, rule, counts, batch, section)
            until = self.clock() + timedelta(seconds=self.config.lease_secs)
            if not await self.rs.take_lease(LEASE_NAME, self.summary.holder, self.clock(), until):
                raise LeaseLost("the retention lease was taken by another holder")
            await asyncio.sleep(self.config.pause_between_batches_secs)
        else:
            await asyncio.sleep(0)
        if self.stop is not None and self.stop.is_set():
            raise _Stopped

    # -- message rules ----------------------------------------------------------------------

    async def message_rule(self, name: str, rule: RetentionRule, kind: MessageQuery) -> None:
        outcome = self.summary.rules[name]
        outcome.held_skipped = await self._count_held_messages(rule, kind, outcome.cutoff)
        if kind == "child":
            outcome.attachments = 0  # a deleted message's picture or file goes with it
        after: tuple[datetime, str] | None = None
        while True:
            holds = await active_holds(self.services.store.legal_holds)
            page = await self.rs.messages_page(
                kind,
                cutoff=outcome.cutoff,
                holds=holds,
                scope="free",
                after=after,
                limit=self.batch_size,
                categories=rule.categories,
            )
            if not page:
                return
            after = (page[-1]["created_at"], page[-1]["_id"])
            eligible = await self._eligible(rule, page, outcome.cutoff)
            attachments_before = outcome.attachments or 0
            done = await self._apply_messages(name, rule, kind, eligible, holds)
            outcome.count += done
            counts = {"count": done}
            if outcome.attachments is not None:
                counts["attachments"] = outcome.attachments - attachments_before
            await self.batch_done(name, counts, len(page))
            if len(page) < self.batch_size:
                return

    async def _count_held_messages(
        self, rule: RetentionRule, kind: MessageQuery, cutoff: datetime
    ) -> int:
        holds = await active_holds(self.services.store.legal_holds)
        if not holds:
            return 0
        held, after = 0, None
        while page := await self.rs.messages_page(
            kind,
            cutoff=cutoff,
            holds=holds,
            scope="held",
            after=after,
            limit=self.batch_size,
            categories=rule.categories,
        ):
            after = (page[-1]["created_at"], page[-1]["_id"])
            held += len(await self._eligible(rule, page, cutoff))
        return held

    async def _eligible(
        self, rule: RetentionRule, page: list[dict[str, Any]], cutoff: datetime
    ) -> list[dict[str, Any]]:
        if rule.counts_from != "conversation_closed":
            return page
        closed = await self.rs.closed_at(sorted({doc["conversation_id"] for doc in page}))
        return [
            doc
            for doc in page
            if (at := closed.get(doc["conversation_id"])) is not None and at <= cutoff
        ]

    async def _apply_messages(
        self,
        name: str,
        rule: RetentionRule,
        kind: MessageQuery,
        docs: list[dict[str, Any]],
        holds: Holds,
    ) -> int:
        if kind == "child":
            return await self._delete_child_messages(name, rule, docs, holds)
        done = 0
        for doc in docs:
            try:
                if await self._apply_message(name, rule, kind, doc):
                    done += 1
            except Exception as exc:  # one bad document must not stop the others
                self.error(name, exc, message_id=doc["_id"])
        return done

    async def _apply_message(
        self, name: str, rule: RetentionRule, kind: MessageQuery, doc: dict[str, Any]
    ) -> bool:
        if kind == "kept_values":
            if self.dry_run:
                return True
            updated = await change_secrets(
                self.services,
                doc,
                set(rule.categories),
                keep=False,
                actor={**self.actor, "rule": name},
                reason="consent retention_ended",
                states=("kept",),
            )
            return updated is not None
        for _ in range(CAS_RETRIES):
            text = doc.get("text")
            if text is None:
                raise ValueError("connection data findings on a message without text")
            findings: list[dict[str, Any]] = doc.get("findings", [])
            if kind == "connection_truncate":
                changes: dict[str, Any] = {"text": truncate_connection_data(text, findings)}
                mark = "connection_truncated"
            else:
                new_text, new_findings, new_secrets = mask_connection_data(
                    text, findings, doc.get("secrets", [])
                )
                changes = {"text": new_text, "findings": new_findings, "secrets": new_secrets}
                mark = "connection_deleted"
            if self.dry_run:
                return True
            if await self.rs.rewrite_message(
                doc["_id"],
                text=text,
                version=doc.get("secrets_version", 0),
                changes=changes,
                mark=mark,
                at=self.now,
            ):
                return True
            fresh = await self.rs.message(doc["_id"])  # a consent decision got there first
            if fresh is None or mark in fresh.get("retention", {}):
                return False
            doc = fresh
        raise RuntimeError(f"message {doc['_id']}: too many concurrent updates")

    async def _delete_child_messages(
        self, name: str, rule: RetentionRule, docs: list[dict[str, Any]], holds: Holds
    ) -> int:
        if not docs:
            return 0
        outcome = self.summary.rules[name]
        try:
            # The messages' attachments (and their blobs) first: a run killed in between
            # finds the messages again and has nothing left of their files to do.
            found = await self.rs.attachment_ids(holds=holds, message_ids=[d["_id"] for d in docs])
            outcome.attachments = (outcome.attachments or 0) + await self._drop_attachments(found)
        except Exception as exc:
            self.error(name, exc, message_ids=[d["_id"] for d in docs][:20])
            return 0
        if self.dry_run:
            self.simulated_deleted.update((d["_id"], d["conversation_id"]) for d in docs)
            return len(docs)
        try:
            deleted = await self.rs.delete_messages(
                "child",
                [d["_id"] for d in docs],
                cutoff=self.summary.rules[name].cutoff,
                holds=holds,
            )
        except Exception as exc:
            self.error(name, exc, message_ids=[d["_id"] for d in docs][:20])
            return 0
        by_customer: dict[str, list[str]] = {}
        for doc in docs:
            by_customer.setdefault(doc["customer_id"], []).append(doc["_id"])
        for customer_id, ids in by_customer.items():
            await self.services.store.audit.record(
                at=self.now,
                actor={**self.actor, "rule": name},
                action="retention_deleted",
                customer_id=customer_id,
                reason=f"retention rule {name}: {rule.data}",
                details={"message_ids": ids},
            )
        return deleted

    async def _drop_attachments(self, attachment_ids: list[str]) -> int:
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

    # -- conversations ------------------------------------------------------------------------

    async def conversation_rule(self, name: str, rule: RetentionRule) -> None:
        outcome = self.summary.rules[name]
        outcome.messages, outcome.keys_shredded, outcome.attachments = 0, 0, 0
        holds = await active_holds(self.services.store.legal_holds)
        if holds:
            after: tuple[datetime, str] | None = None
            while page := await self.rs.conversations_page(
                cutoff=outcome.cutoff, holds=holds, scope="held", after=after, limit=self.batch_size
            ):
                after = (page[-1]["closed_at"], page[-1]["_id"])
                outcome.held_skipped += len(page)
        touched: dict[str, set[str]] = {}
        after = None
        while True:
            holds = await active_holds(self.services.store.legal_holds)
            page = await self.rs.conversations_page(
                cutoff=outcome.cutoff, holds=holds, scope="free", after=after, limit=self.batch_size
            )
            if not page:
                break
            after = (page[-1]["closed_at"], page[-1]["_id"])
            chunk: list[dict[str, Any]] = []
            summaries: dict[str, dict[str, Any]] = {}
            budget = 0
            # A plain delete only needs each conversation's message count: one command for
            # the page (the counts decide where a chunk is cut, nothing else).
            counts = (
                await self.rs.messages_per_conversation([c["_id"] for c in page])
                if rule.action == "delete"
                else {}
            )
            for conversation in page:
                summary, messages = await self._summarise(name, rule, conversation, counts)
                chunk.append(conversation)
                if summary is not None:
                    summaries[conversation["_id"]] = summary
                budget += messages
                if budget >= self.batch_size:
                    await self._remove(name, chunk, summaries, holds, budget, touched)
                    chunk, summaries, budget = [], {}, 0
            if chunk:
                await self._remove(name, chunk, summaries, holds, budget, touched)
            if len(page) < self.batch_size:
                break
        if not touched:
            return
        try:
            # Who still has data: at most three commands for all the customers touched,
            # instead of three per customer.
            removed = set().union(*touched.values())
            kept = await self.rs.customers_with_data(list(touched), removed)
        except Exception as exc:
            self.error(name, exc, customer_key=True)
            return
        for customer_id in touched:
            if customer_id in kept:
                continue
            try:
                await self._shred_key(name, customer_id)
            except Exception as exc:
                self.error(name, exc, customer_key=True)

    async def _summarise(
        self,
        name: str,
        rule: RetentionRule,
        conversation: dict[str, Any],
        counts: dict[str, int],
    ) -> tuple[dict[str, Any] | None, int]:
        """The anonymised statistics of a conversation (None for a plain delete) and how
        many of its messages go with it (for a plain delete from `counts`, the page's
        message counts per conversation)."""
        conversation_id = conversation["_id"]
        if rule.action == "delete":
            count = counts.get(conversation_id, 0)
            return None, count - self._simulated_in([conversation_id])
        senders: dict[str, int] = {}
        kinds: dict[str, int] = {}
        categories: dict[str, int] = {}
        consent: dict[str, int] = {}
        count, after_seq = 0, 0
        while page := await self.rs.conversation_messages(
            conversation_id, after_seq, self.batch_size
        ):
            after_seq = page[-1]["seq"]
            for message in page:
                if message["_id"] in self.simulated_deleted:
                    continue
                count += 1
                role = message.get("sender", {}).get("role", "unknown")
                senders[role] = senders.get(role, 0) + 1
                kinds[message.get("kind", "unknown")] = kinds.get(message.get("kind", ""), 0) + 1
                for finding in message.get("findings", []):
                    category = finding.get("category", "unknown")
                    categories[category] = categories.get(category, 0) + 1
                if message.get("consent"):
                    consent[message["consent"]] = consent.get(message["consent"], 0) + 1
        opened, closed = conversation.get("created_at"), conversation.get("closed_at")
        summary = {
            "_id": "an_" + os.urandom(12).hex(),  # no link back to the conversation
            "rule": name,
            "opened_day": _day(opened),
            "closed_day": _day(closed),
            "duration_minutes": round((closed - opened).total_seconds() / 60)
            if opened is not None and closed is not None
            else None,
            "minor": bool(conversation.get("minor", False)),
            "assigned": conversation.get("agent_id") is not None,
            "messages": count,
            "by_sender_role": senders,
            "by_kind": kinds,
            "findings_by_category": categories,
            "consent": consent,
            "anonymised_day": _day(self.now),
        }
        return summary, count

    def _simulated_in(self, conversation_ids: list[str]) -> int:
        wanted = set(conversation_ids)
        return sum(1 for c in self.simulated_deleted.values() if c in wanted)

    async def _remove(
        self,
        name: str,
        chunk: list[dict[str, Any]],
        summaries: dict[str, dict[str, Any]],
        holds: Holds,
        messages: int,
        touched: dict[str, set[str]],
    ) -> None:
        outcome = self.summary.rules[name]
        ids = [c["_id"] for c in chunk]
        removed = len(chunk)
        try:
            # Attachments and their blobs first (an anonymised conversation keeps no files):
            # a run killed before the conversations go finds them again, files already gone.
            found = await self.rs.attachment_ids(holds=holds, conversation_ids=ids)
            attachments = await self._drop_attachments(found)
            if not self.dry_run:
                removed, messages = await self.rs.remove_conversations(ids, summaries, holds=holds)
        except Exception as exc:
            self.error(name, exc, conversation_ids=ids[:20])
            await self.batch_done(name, {"errors": 1}, len(chunk))
            return
        if not self.dry_run:
            for conversation in chunk:
                await self.services.store.audit.record(
                    at=self.now,
                    actor={**self.actor, "rule": name},
                    action=f"retention_{outcome.action}",
                    customer_id=conversation["customer_id"],
                    reason=f"retention rule {name}: {outcome.data}",
                    details={"conversation_id": conversation["_id"]},
                )
        for conversation in chunk:
            touched.setdefault(conversation["customer_id"], set()).add(conversation["_id"])
        outcome.count += removed
        outcome.messages = (outcome.messages or 0) + messages
        outcome.attachments = (outcome.attachments or 0) + attachments
        counts = {"count": removed, "messages": messages, "attachments": attachments}
        await self.batch_done(name, counts, len(chunk))

    async def _shred_key(self, name: str, customer_id: str) -> None:
        """A customer with nothing left (`customers_with_data`): delete their data key, so
        no backup copy of a removed value can ever be decrypted again (the anonymisation is
        irreversible)."""
        if not await self.cipher.has_key(customer_id):
            return
        outcome = self.summary.rules[name]
        outcome.keys_shredded = (outcome.keys_shredded or 0) + 1
        if self.dry_run:
            return
        await self.cipher.shred(customer_id)
        await self.services.store.audit.record(
            at=self.now,
            actor={**self.actor, "rule": name},
            action="retention_key_shredded",
            customer_id=customer_id,
            reason=f"retention rule {name}: no data of the customer left",
        )

    # -- uploads no message used ----------------------------------------------------------------

    async def unsent_attachments_step(self) -> None:
        """Uploads older than `unsent_retention_hours` that no message used: deleted with
        their blobs, oldest first, in batches; held ones (their customer's or their
        conversation's hold) are skipped and counted."""
        outcome = self.summary.unsent_attachments
        assert outcome is not None  # noqa: S101  # set by run_retention
        store = self.services.store
        holds = await active_holds(store.legal_holds)
        after: tuple[datetime, str] | None = None
        if holds:
            while page := await self.rs.unsent_attachments_page(
                cutoff=outcome.cutoff, holds=holds, scope="held", after=after, limit=self.batch_size
            ):
                after = (page[-1]["created_at"], page[-1]["_id"])
                outcome.held_skipped += len(page)
        after = None
        while True:
            holds = await active_holds(store.legal_holds)
            page = await self.rs.unsent_attachments_page(
                cutoff=outcome.cutoff, holds=holds, scope="free", after=after, limit=self.batch_size
            )
            if not page:
                return
            after = (page[-1]["created_at"], page[-1]["_id"])
            by_customer: dict[str, int] = {}
            for doc in page:
                try:
                    if await self._delete_unsent(doc["_id"], outcome.cutoff):
                        by_customer[doc["customer_id"]] = by_customer.get(doc["customer_id"], 0) + 1
                except Exception as exc:  # one bad document must not stop the others
                    self.error(UNSENT_STEP, exc, attachment_id=doc["_id"])
            done = sum(by_customer.values())
            outcome.count += done
            if not self.dry_run:
                for customer_id, count in by_customer.items():
                    await store.audit.record(
                        at=self.now,
                        actor={**self.actor, "rule": UNSENT_STEP},
                        action="retention_deleted",
                        customer_id=customer_id,
                        reason=f"retention: uploads never sent, {outcome.period_hours:g} hours",
                        details={"unsent_attachments": count},
                    )
            await self.batch_done(UNSENT_STEP, {"count": done}, len(page), section=UNSENT_STEP)
            if len(page) < self.batch_size:
                return

    async def _delete_unsent(self, attachment_id: str, cutoff: datetime) -> bool:
        if self.dry_run:
            return await self._drop_attachments([attachment_id]) == 1
        attachments = self.services.store.attachments
        # Claimed first: a message.send racing this run can no longer bind it.
        if not await attachments.claim_unsent(attachment_id, cutoff):
            return False  # a message took it meanwhile
        return await attachments.delete(attachment_id)


_MESSAGE_QUERY: dict[tuple[DataKind, Action], MessageQuery] = {
    ("connection_data", "anonymise"): "connection_truncate",
    ("connection_data", "delete"): "connection_delete",
    ("sensitive_values", "delete"): "kept_values",
    ("child_without_guardian", "delete"): "child",
}


async def run_retention(
    services: Services,
    config: RetentionConfig,
    *,
    now: datetime,
    dry_run: bool,
    holder: str,
    batch_size: int | None = None,
    failures: Counter | None = None,
    clock: Callable[[], datetime] = utc_now,
    stop: asyncio.Event | None = None,
) -> RetentionSummary:
    """Apply every rule once as of `now`. A real run takes the lease first (status
    `lease_held` and nothing done if another holder has it) and records itself in
    `retention_runs`; a dry run takes no lease, writes nothing and counts the same."""
    if now.tzinfo is None:
        raise ValueError("retention needs an aware datetime for now")
    store_retention: RetentionStore = services.store.retention
    started, t0 = clock(), time.perf_counter()
    summary = RetentionSummary(
        run_id=None if dry_run else store_retention.new_run_id(),
        status="succeeded",
        dry_run=dry_run,
        now=now,
        holder=holder,
        started_at=started,
    )
    for name, rule in config.rules.items():
        summary.rules[name] = RuleOutcome(
            rule.data, rule.action, rule.counts_from, rule.period_days, now - rule.period
        )
    unsent_hours = services.settings.attachments.unsent_retention_hours
    summary.unsent_attachments = UnsentOutcome(unsent_hours, now - timedelta(hours=unsent_hours))
    if not dry_run:
        until = started + timedelta(seconds=config.lease_secs)
        if not await store_retention.take_lease(LEASE_NAME, holder, started, until):
            lease = await store_retention.lease(LEASE_NAME) or {}
            summary.status = "lease_held"
            summary.run_id = None  # not recorded: this run did nothing
            summary.lease = {
                "holder": lease.get("holder"),
                "expires_at": lease["expires_at"].isoformat() if lease.get("expires_at") else None,
            }
            logger.warning("retention lease held elsewhere; nothing done", extra=summary.lease)
            return summary
    run = _Run(
        services,
        config,
        summary,
        batch_size=batch_size or config.batch_size,
        failures=failures,
        clock=clock,
        stop=stop,
    )
    try:
        if summary.run_id is not None:
            await store_retention.start_run(_record(summary, status="running"))
            stale = await store_retention.interrupt_stale(summary.run_id, started)
            if stale:
                logger.warning("earlier retention runs were interrupted", extra={"count": stale})
        for name, rule in config.rules.items():
            run.current_rule = name
            try:
                if rule.data == "conversations":
                    await run.conversation_rule(name, rule)
                else:
                    await run.message_rule(name, rule, _MESSAGE_QUERY[rule.data, rule.action])
            except (LeaseLost, _Stopped):
                raise
            except Exception as exc:
                run.error(name, exc)
        run.current_rule = UNSENT_STEP
        try:
            await run.unsent_attachments_step()
        except (LeaseLost, _Stopped):
            raise
        except Exception as exc:
            run.error(UNSENT_STEP, exc)
    except _Stopped:
        summary.status = "interrupted"
    except LeaseLost as exc:
        summary.status = "failed"
        run.error(run.current_rule, exc)
    except asyncio.CancelledError:
        summary.status = "interrupted"
        summary.duration_ms = (time.perf_counter() - t0) * 1000
        await asyncio.shield(_finish(store_retention, summary))
        raise
    if summary.status == "succeeded" and summary.error_count:
        summary.status = "failed"
    summary.duration_ms = (time.perf_counter() - t0) * 1000
    await _finish(store_retention, summary)
    log = logger.info if summary.ok else logger.error
    log("retention run finished", extra={"summary": summary.to_json()})
    return summary


def _record(summary: RetentionSummary, *, status: str) -> dict[str, Any]:
    doc = summary.to_json()
    doc.update(
        _id=summary.run_id,
        status=status,
        now=summary.now,
        started_at=summary.started_at,
        batches_done=0,
        batches=[],
    )
    doc.pop("run_id")
    doc.pop("ok")
    return doc


async def _finish(store_retention: RetentionStore, summary: RetentionSummary) -> None:
    """Record the outcome and release the lease (real runs only)."""
    if summary.run_id is None:
        return
    doc = summary.to_json()
    try:
        await store_retention.finish_run(
            summary.run_id,
            {
                "status": summary.status,
                "ok": summary.ok,
                "finished_at": summary.started_at + timedelta(milliseconds=summary.duration_ms),
                "duration_ms": doc["duration_ms"],
                "rules": doc["rules"],
                UNSENT_STEP: doc[UNSENT_STEP],
                "totals": doc["totals"],
                "errors": doc["errors"],
            },
        )
    finally:
        await store_retention.release_lease(LEASE_NAME, summary.holder)


async def retention_loop(
    services: Services,
    config: RetentionConfig,
    *,
    stop: asyncio.Event,
    holder: str,
    failures: Counter | None = None,
    clock: Callable[[], datetime] = utc_now,
    first_delay_secs: float = 60.0,
) -> None:
    """The server's schedule: a run every `interval_secs` until `stop` is set (a run in
    progress ends after its current batch). Never raises; failures are logged and counted."""
    await wait_or_stop(stop, first_delay_secs)
    while not stop.is_set():
        try:
            await run_retention(
                services,
                config,
                now=clock(),
                dry_run=False,
                holder=holder,
                failures=failures,
                clock=clock,
                stop=stop,
            )
        except Exception:
            logger.exception("retention run crashed")
            if failures is not None:
                failures.inc()
        await wait_or_stop(stop, config.interval_secs)
