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
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import Counter, Gauge

from chat_service.privacy.retention.conversation_rules import ConversationRules
from chat_service.privacy.retention.message_rules import MessageRules
from chat_service.privacy.retention.reports import (
    UNSENT_STEP,
    RetentionSummary,
    finished_fields,
    new_summary,
    run_record,
)
from chat_service.privacy.retention.rules import message_query
from chat_service.privacy.retention.run_state import LEASE_NAME as LEASE_NAME  # its public name
from chat_service.privacy.retention.run_state import LeaseLost as LeaseLost
from chat_service.privacy.retention.run_state import RunState, Stopped
from chat_service.privacy.retention.unsent_uploads import UnsentUploads
from chat_service.privacy_settings import RetentionConfig
from chat_service.services import Services
from chat_service.stopping import wait_or_stop
from chat_service.storage.leases import Leases, new_holder
from chat_service.storage.retention_runs import RetentionStore

logger = logging.getLogger("chat_service.retention")


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


# -- the run ------------------------------------------------------------------------------


class _Run(RunState):
    """A run: every rule in order (message_rules.py, conversation_rules.py), then the
    unsent uploads step (unsent_uploads.py), over the state they share (run_state.py)."""

    async def apply_all(self) -> None:
        """Every rule in order, then the unsent uploads step. One rule's failure is recorded
        and the next goes on; a lost lease or a stop ends the run."""
        for name, rule in self.config.rules.items():
            self.current_rule = name
            try:
                if rule.data == "conversations":
                    await ConversationRules(self).apply(name, rule)
                else:
                    await MessageRules(self).apply(name, rule, message_query(rule))
            except (LeaseLost, Stopped):
                raise
            except Exception as exc:
                self.error(name, exc)
        self.current_rule = UNSENT_STEP
        try:
            await UnsentUploads(self).apply()
        except (LeaseLost, Stopped):
            raise
        except Exception as exc:
            self.error(UNSENT_STEP, exc)


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
    except Stopped:
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
