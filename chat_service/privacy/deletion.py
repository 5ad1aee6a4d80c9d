"""The customer's right to deletion (privacy policy 7.2): file a request, carry it out.

Filing records `received_at` and `due_at` (15 working days in mainland China, from
`config/holidays.toml`; chat_service/workdays.py). Carrying it out is idempotent and
resumable: every step is a query that no longer matches once done, so a pass killed halfway
is finished by the next one (`process_due`, run on the server's schedule by one instance
at a time (chat_service/jobs.py), takes every request not completed yet, at once: far
within the deadline).

One pass over a request:
1. conversation by conversation, unless an active legal hold keeps it (its own or its
   customer's, checked again just before each one): its attachments (GridFS blobs first),
   its messages (findings and encrypted values with them), its consent requests, then the
   conversation record, under the conversation's write lock so no message lands meanwhile;
   in-process caches dropped; then the customer's attachments outside any conversation kept
   by a hold (uploads never sent);
2. if a hold keeps anything: the request is `partially_completed` with `held` saying what
   the holds keep and why; the rest of the customer's data is gone, their data key stays
   (the held messages need it), and recipients get a `customer.deleted` notice with scope
   "partial". The next pass after the hold is lifted finishes it;
3. otherwise: a `customer.deleted` notice (scope "all") for every configured recipient, the
   customer's data key shredded (every copy of every value under it, backups included,
   can no longer be decrypted), the evidence the law requires kept pseudonymised (consent
   ledger, audit, lifted holds), an audit record of the deletion, and the request itself
   completed under the pseudonym.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from chat_service.auth import Identity, Role
from chat_service.errors import BadRequest, ConfigError, Forbidden, NotFound
from chat_service.json_types import JsonObject
from chat_service.privacy.pseudonyms import Pseudonymizer, pseudonymizer_for
from chat_service.services import Notifier, Services
from chat_service.storage.actors import actor_doc
from chat_service.storage.deletion_requests import DeletedDoc, DeletionRequestDoc, HeldDoc
from chat_service.storage.holds import HoldDoc
from chat_service.workdays import HolidayCalendar, load_holiday_calendar

logger = logging.getLogger(__name__)

SYSTEM_ACTOR: Final[Mapping[str, str]] = {"role": "system", "id": "deletion"}
DEADLINE_WORKING_DAYS: Final = 15
MAX_CUSTOMER_ID_CHARS: Final = 128
CONVERSATIONS_PER_BATCH: Final = 50
REQUESTS_PER_PASS: Final = 100


class DeletionRequestNotFound(NotFound):
    code = "deletion_request_not_found"
    default_message = "no such deletion request"


def access_customer_rights(identity: Identity, customer_id: str) -> None:
    """Privacy officers, or the customer themself; nobody else."""
    if not customer_id or len(customer_id) > MAX_CUSTOMER_ID_CHARS:
        raise BadRequest("the customer id must be 1-128 characters")
    if identity.role is Role.PRIVACY_OFFICER:
        return
    if identity.role is Role.CUSTOMER and identity.sub == customer_id:
        return
    raise Forbidden()


# -- deadlines -----------------------------------------------------------------------------

_calendars: dict[Path, HolidayCalendar] = {}


async def holiday_calendar(config_dir: Path) -> HolidayCalendar:
    calendar = _calendars.get(config_dir)
    if calendar is None:
        calendar = await asyncio.to_thread(load_holiday_calendar, config_dir)
        _calendars[config_dir] = calendar
    return calendar


async def deadline(services: Services, received_at: datetime) -> tuple[datetime, str]:
    """(due_at, basis). Beyond the holiday table's years the request is still filed, never
    refused: due after 15 calendar days, which is never later than 15 working days, and the
    gap is logged as an error for the operator to extend the table."""
    try:
        calendar = await holiday_calendar(services.settings.config_dir)
        return calendar.deletion_due_at(received_at), "working_days"
    except ConfigError:
        logger.exception("deletion deadline falls outside the holiday table; 15 calendar days")
        return received_at + timedelta(days=DEADLINE_WORKING_DAYS), "calendar_days_fallback"


# -- filing --------------------------------------------------------------------------------


async def file_request(
    services: Services, identity: Identity, customer_id: str
) -> tuple[DeletionRequestDoc, bool]:
    """File a deletion request; (request, created). While one is open for the customer,
    filing again returns it."""
    access_customer_rights(identity, customer_id)
    now = _ms(services.clock())
    due_at, basis = await deadline(services, now)
    due_at = _ms(due_at)  # as stored (BSON dates keep milliseconds): the answer matches
    filed_by = {"role": identity.role.value, "id": identity.sub}
    request, created = await services.store.deletion_requests.file(
        {
            "customer_id": customer_id,
            "filed_by": actor_doc(filed_by),
            "received_at": now,
            "due_at": due_at,
            "due_at_basis": basis,
            "status": "received",
            "history": [{"at": now, "status": "received", "note": f"filed by {filed_by['role']}"}],
            "held": None,
            "deleted": {
                "conversations": 0,
                "messages": 0,
                "consent_requests": 0,
                "attachments": 0,
            },
            "key_shredded": False,
            "completed_at": None,
            "pseudonymised": False,
        }
    )
    if created:
        await services.store.audit.record(
            at=now,
            actor=filed_by,
            action="deletion_requested",
            customer_id=customer_id,
            reason="deletion request (policy 7.2)",
            details={"request_id": request["_id"], "due_at": due_at.isoformat()},
        )
        logger.info("deletion request filed", extra={"request_id": request["_id"]})
    return request, created


async def list_requests(
    services: Services, identity: Identity, customer_id: str
) -> list[DeletionRequestDoc]:
    """The customer's requests, completed (pseudonymised) ones included."""
    access_customer_rights(identity, customer_id)
    pseudonym = (await pseudonymizer_for(services))(customer_id)
    return await services.store.deletion_requests.for_customer([customer_id, pseudonym])


# -- carrying out --------------------------------------------------------------------------


async def _delete_unheld(services: Services, customer_id: str) -> tuple[DeletedDoc, list[HoldDoc]]:
    """Delete everything of the customer no active hold keeps: (counts, active holds)."""
    store = services.store
    counts: DeletedDoc = {
        "conversations": 0,
        "messages": 0,
        "consent_requests": 0,
        "attachments": 0,
    }
    skipped: set[str] = set()
    while True:
        holds = await store.legal_holds.active_for_customer(customer_id)
        if any(h["scope"] == "customer" for h in holds):
            return counts, holds
        held = _held_conversations(holds) | skipped
        batch = await store.conversations.ids_for_customer(
            customer_id, held, CONVERSATIONS_PER_BATCH
        )
        if not batch:
            break
        for conversation_id in batch:
            # A hold set since the batch was read wins: checked again right before.
            if await store.legal_holds.holding(customer_id, conversation_id) is not None:
                skipped.add(conversation_id)
                continue
            async with store.messages.lock(conversation_id):
                # Its pictures and files first, blobs before documents: a pass killed here
                # finds the conversation again.
                counts["attachments"] += await store.attachments.delete_for_conversation(
                    conversation_id
                )
                counts["messages"] += await store.messages.delete_conversation(conversation_id)
                # The customer's consent requests outside held conversations (this one's
                # among them: it is not held).
                counts["consent_requests"] += await store.consent_requests.delete_for_customer(
                    customer_id, held
                )
                counts["conversations"] += await store.conversations.delete(conversation_id)
            store.messages.forget(conversation_id)
    # Anything left outside a conversation record (a pass killed after the record went).
    holds = await store.legal_holds.active_for_customer(customer_id)
    if any(h["scope"] == "customer" for h in holds):
        return counts, holds
    held = _held_conversations(holds)
    # Uploads never sent, and any left by a pass killed after their conversation went.
    counts["attachments"] += await store.attachments.delete_for_customer(customer_id, held)
    counts["messages"] += await store.messages.delete_for_customer(customer_id, held)
    counts["consent_requests"] += await store.consent_requests.delete_for_customer(
        customer_id, held
    )
    # Teamwork (docs/teamwork.md): staff notes about the customer and their ratings go
    # with their conversations (not counted apart: the record's shape stays as it was).
    await store.notes.delete_for_customer(customer_id, held)
    await store.outcomes.delete_for_customer(customer_id, held)
    return counts, holds


def _counts(request: DeletionRequestDoc) -> dict[str, int]:
    """What the request's passes deleted, by kind, as stored."""
    return {k: v for k, v in request["deleted"].items() if isinstance(v, int)}


def _held_conversations(holds: list[HoldDoc]) -> set[str]:
    return {h["conversation_id"] for h in holds if h["conversation_id"] is not None}


def _held_summary(holds: list[HoldDoc]) -> HeldDoc:
    return {
        "customer": any(h["scope"] == "customer" for h in holds),
        "conversations": sorted(_held_conversations(holds)),
        "holds": [
            {
                "id": h["_id"],
                "scope": h["scope"],
                "conversation_id": h["conversation_id"],
                "reason": h["reason"],
                "set_at": h["set_at"],
            }
            for h in sorted(holds, key=lambda h: str(h["_id"]))
        ],
    }


def _held_note(summary: HeldDoc) -> str:
    if summary["customer"]:
        return "kept in full under a legal hold on the customer"
    return f"{len(summary['conversations'])} conversation(s) kept under legal hold"


async def carry_out(
    services: Services,
    request_id: str,
    *,
    notifier: Notifier,
    pseudonymizer: Pseudonymizer | None = None,
) -> DeletionRequestDoc:
    """One pass over a request (see the module docstring); the request as it stands after."""
    store = services.store
    request = await store.deletion_requests.get(request_id)
    if request is None:
        raise DeletionRequestNotFound()
    if request["status"] == "completed":
        return request
    customer_id: str = request["customer_id"]
    if request["status"] == "received":
        moved = await store.deletion_requests.transition(
            request_id,
            from_statuses=("received",),
            status="in_progress",
            at=services.clock(),
            note="carrying out",
        )
        request = moved or request
    counts, holds = await _delete_unheld(services, customer_id)
    await store.deletion_requests.count_deleted(request_id, counts)
    if holds:
        return await _partially_completed(services, request, holds, counts, notifier)
    pseudonym = (pseudonymizer or await pseudonymizer_for(services))(customer_id)
    await notifier.enqueue(
        "customer.deleted",
        {"customer_id": customer_id, "request_id": request_id, "scope": "all"},
        services.clock(),
        event_id=request_id,
    )
    shredded = await services.cipher.shred(customer_id)
    key_shredded = request.get("key_shredded", False) or shredded
    await store.consents.pseudonymise(customer_id, pseudonym)
    await store.legal_holds.pseudonymise(customer_id, pseudonym)
    await store.audit.pseudonymise(customer_id, pseudonym)
    now = services.clock()
    fresh = await store.deletion_requests.get(request_id) or request
    await store.audit.record_once(
        "au_" + request_id,
        at=now,
        actor=SYSTEM_ACTOR,
        action="customer_deleted",
        customer_id=pseudonym,
        reason="deletion request (policy 7.2)",
        details={"request_id": request_id, "key_shredded": key_shredded, **_counts(fresh)},
        pseudonymised=True,
    )
    filed_by = request["filed_by"].copy()
    if filed_by["role"] == Role.CUSTOMER.value and filed_by["id"] == customer_id:
        filed_by["id"] = pseudonym
    completed = await store.deletion_requests.complete(
        request_id,
        pseudonym=pseudonym,
        filed_by=filed_by,
        at=now,
        note="deleted; data key shredded" if key_shredded else "deleted; no data key to shred",
        changes={"key_shredded": key_shredded},
    )
    logger.info("deletion request completed", extra={"request_id": request_id})
    return completed or await store.deletion_requests.get(request_id) or request


async def _partially_completed(
    services: Services,
    request: DeletionRequestDoc,
    holds: list[HoldDoc],
    counts: DeletedDoc,
    notifier: Notifier,
) -> DeletionRequestDoc:
    request_id: str = request["_id"]
    summary = _held_summary(holds)
    if request["status"] == "partially_completed" and _same_holds(request.get("held"), summary):
        return request
    await notifier.enqueue(
        "customer.deleted",
        {"customer_id": request["customer_id"], "request_id": request_id, "scope": "partial"},
        services.clock(),
        event_id=request_id + ".partial",
    )
    moved = await services.store.deletion_requests.transition(
        request_id,
        from_statuses=("received", "in_progress", "partially_completed"),
        status="partially_completed",
        at=services.clock(),
        note=_held_note(summary),
        changes={"held": summary},
    )
    logger.info(
        "deletion request partially completed: legal hold",
        extra={"request_id": request_id, "deleted": counts},
    )
    return moved or request


def _same_holds(before: HeldDoc | None, now: HeldDoc) -> bool:
    if before is None:
        return False
    return [h["id"] for h in before.get("holds", [])] == [h["id"] for h in now["holds"]]


async def process_due(
    services: Services,
    *,
    notifier: Notifier,
    pseudonymizer: Pseudonymizer | None = None,
    keep: Callable[[], Awaitable[None]] | None = None,
) -> list[dict[str, Any]]:
    """One pass over every request not completed yet (oldest deadline first); a request
    that fails is logged and retried on the next pass. Returns the requests as they stand
    (as plain documents: the tests read a partial request's `held` without narrowing it).
    `keep` is awaited before each request: the server's job renews its lease there, or
    ends the pass by raising (chat_service/jobs.py)."""
    done: list[dict[str, Any]] = []
    for request in await services.store.deletion_requests.open_requests(REQUESTS_PER_PASS):
        if keep is not None:
            await keep()
        try:
            done.append(
                dict(
                    await carry_out(
                        services, request["_id"], notifier=notifier, pseudonymizer=pseudonymizer
                    )
                )
            )
        except Exception:
            logger.exception(
                "deletion request pass failed; will retry", extra={"request_id": request["_id"]}
            )
            services.metrics.errors.labels("deletion").inc()
    return done


async def file_and_carry_out(
    services: Services,
    identity: Identity,
    customer_id: str,
    *,
    notifier: Notifier,
    pseudonymizer: Pseudonymizer | None = None,
) -> DeletionRequestDoc:
    """`chat-service privacy delete`: file a request and carry it out at once."""
    request, _ = await file_request(services, identity, customer_id)
    return await carry_out(services, request["_id"], notifier=notifier, pseudonymizer=pseudonymizer)


def public(doc: DeletionRequestDoc | HoldDoc) -> JsonObject:
    """A request (or hold) as JSON: `id` for `_id`, ISO 8601 times, no internal keys."""
    out = {("id" if k == "_id" else k): v for k, v in doc.items() if k not in _INTERNAL}
    return json.loads(json.dumps(out, default=_iso))  # type: ignore[no-any-return]  # JSON round trip


_INTERNAL: Final = frozenset({"open_key", "active_key"})


def _ms(moment: datetime) -> datetime:
    """Truncated to milliseconds, as BSON stores it (so a due time never moves later)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
