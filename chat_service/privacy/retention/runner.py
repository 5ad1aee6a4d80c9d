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
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Unpack

from prometheus_client import Counter, Gauge

from chat_service.actions.consent import change_secrets
from chat_service.privacy.retention.reports import (
    ERRORS_KEPT,
    UNSENT_STEP,
    ConversationTally,
    ErrorEntry,
    ErrorWhere,
    RetentionSummary,
    anonymised_conversation,
    finished_fields,
    new_summary,
    run_record,
)
from chat_service.privacy.retention.rules import (
    mask_connection_data,
    message_query,
    truncate_connection_data,
)
from chat_service.privacy_settings import RetentionConfig, RetentionRule
from chat_service.services import Services
from chat_service.stopping import wait_or_stop
from chat_service.storage.leases import Leases, new_holder
from chat_service.storage.retention_runs import (
    AnonymisedConversation,
    ClosedConversationRow,
    Holds,
    MessageQuery,
    RetentionStore,
    active_holds,
)

logger = logging.getLogger("chat_service.retention")

LEASE_NAME = "retention"
CAS_RETRIES = 5


def default_holder(kind: str) -> str:
    """Who takes the lease: host, process, kind ("cli" or "server") and a random part."""
    return new_holder(kind)


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


class LeaseLost(Exception):
    """Another holder took the lease while this run was working (it ran out)."""


class _Stopped(Exception):
    """The stop event was set: end the run between two batches."""


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
            raise _Stopped

    async def apply_all(self) -> None:
        """Every rule in order, then the unsent uploads step. One rule's failure is recorded
        and the next goes on; a lost lease or a stop ends the run."""
        for name, rule in self.config.rules.items():
            self.current_rule = name
            try:
                if rule.data == "conversations":
                    await self.conversation_rule(name, rule)
                else:
                    await self.message_rule(name, rule, message_query(rule))
            except (LeaseLost, _Stopped):
                raise
            except Exception as exc:
                self.error(name, exc)
        self.current_rule = UNSENT_STEP
        try:
            await self.unsent_attachments_step()
        except (LeaseLost, _Stopped):
            raise
        except Exception as exc:
            self.error(UNSENT_STEP, exc)

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
            chunk: list[ClosedConversationRow] = []
            summaries: dict[str, AnonymisedConversation] = {}
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
        conversation: ClosedConversationRow,
        counts: dict[str, int],
    ) -> tuple[AnonymisedConversation | None, int]:
        """The anonymised statistics of a conversation (None for a plain delete) and how
        many of its messages go with it (for a plain delete from `counts`, the page's
        message counts per conversation)."""
        conversation_id = conversation["_id"]
        if rule.action == "delete":
            count = counts.get(conversation_id, 0)
            return None, count - self._simulated_in([conversation_id])
        tally = ConversationTally()
        after_seq = 0
        while page := await self.rs.conversation_messages(
            conversation_id, after_seq, self.batch_size
        ):
            after_seq = page[-1]["seq"]
            for message in page:
                if message["_id"] not in self.simulated_deleted:
                    tally.add(message)
        return anonymised_conversation(name, conversation, tally, self.now), tally.messages

    def _simulated_in(self, conversation_ids: list[str]) -> int:
        wanted = set(conversation_ids)
        return sum(1 for c in self.simulated_deleted.values() if c in wanted)

    async def _remove(
        self,
        name: str,
        chunk: list[ClosedConversationRow],
        summaries: dict[str, AnonymisedConversation],
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
    held: Gauge | None = None,
) -> RetentionSummary:
    """Apply every rule once as of `now`. A real run takes the lease first (status
    `lease_held` and nothing done if another holder has it) and records itself in
    `retention_runs`; a dry run takes no lease, writes nothing and counts the same.
    `held` (the job's lease gauge) is 1 while this run holds the lease."""
    if now.tzinfo is None:
        raise ValueError("retention needs an aware datetime for now")
    store_retention: RetentionStore = services.store.retention
    started, t0 = clock(), time.perf_counter()
    summary = new_summary(
        config,
        run_id=None if dry_run else store_retention.new_run_id(),
        dry_run=dry_run,
        now=now,
        holder=holder,
        started_at=started,
        unsent_hours=services.settings.attachments.unsent_retention_hours,
    )
    if not dry_run and not await _take_lease(services.store.leases, summary, config.lease_secs):
        return summary
    if not dry_run and held is not None:
        held.set(1)
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
            await store_retention.start_run(run_record(summary, status="running"))
            stale = await store_retention.interrupt_stale(summary.run_id, started)
            if stale:
                logger.warning("earlier retention runs were interrupted", extra={"count": stale})
        await run.apply_all()
    except _Stopped:
        summary.status = "interrupted"
    except LeaseLost as exc:
        summary.status = "failed"
        run.error(run.current_rule, exc)
    except asyncio.CancelledError:
        summary.status = "interrupted"
        summary.duration_ms = (time.perf_counter() - t0) * 1000
        await asyncio.shield(_finish(services, summary, held))
        raise
    if summary.status == "succeeded" and summary.error_count:
        summary.status = "failed"
    summary.duration_ms = (time.perf_counter() - t0) * 1000
    await _finish(services, summary, held)
    log = logger.info if summary.ok else logger.error
    log("retention run finished", extra={"summary": summary.to_json()})
    return summary


async def _take_lease(leases: Leases, summary: RetentionSummary, lease_secs: float) -> bool:
    """Take the lease for a real run; if another holder has it, the summary says who
    (status `lease_held`, not recorded: the run does nothing)."""
    until = summary.started_at + timedelta(seconds=lease_secs)
    if await leases.take(LEASE_NAME, summary.holder, summary.started_at, until):
        return True
    lease = await leases.get(LEASE_NAME)
    summary.status = "lease_held"
    summary.run_id = None  # not recorded: this run did nothing
    summary.lease = {
        "holder": lease["holder"] if lease else None,
        "expires_at": lease["expires_at"].isoformat() if lease else None,
    }
    logger.warning("retention lease held elsewhere; nothing done", extra=summary.lease)
    return False


async def _finish(services: Services, summary: RetentionSummary, held: Gauge | None = None) -> None:
    """Record the outcome and release the lease (real runs only)."""
    if summary.run_id is None:
        return
    try:
        await services.store.retention.finish_run(summary.run_id, finished_fields(summary))
    finally:
        if held is not None:
            held.set(0)
        await services.store.leases.release(LEASE_NAME, summary.holder)


async def retention_loop(
    services: Services,
    config: RetentionConfig,
    *,
    stop: asyncio.Event,
    holder: str,
    failures: Counter | None = None,
    clock: Callable[[], datetime] = utc_now,
    first_delay_secs: float = 60.0,
    held: Gauge | None = None,
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
                held=held,
            )
        except Exception:
            logger.exception("retention run crashed")
            if failures is not None:
                failures.inc()
        await wait_or_stop(stop, config.interval_secs)
