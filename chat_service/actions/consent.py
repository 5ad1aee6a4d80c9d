"""Separate consent for sensitive personal information (privacy policy 2.6, 2.7, 5, 7.3).

- A message with sensitive values nobody consented to is stored with them encrypted and
  pending; the customer gets `consent.request` (one open request per purpose collects
  later messages needing the same categories, so a customer is not asked twice).
- `consent.respond`: a grant keeps the values and agents whose role may see them get
  `message.updated`; a refusal destroys them (only the masked text remains). A child's
  request must be answered by a guardian, who is recorded.
- No answer in time counts as a refusal (`sweep_expired`, run on a schedule).
- `consent.withdraw` destroys every value kept under the withdrawn categories.
Every decision is a new ledger entry; every destruction writes an audit record.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, cast

from chat_service.actions import delivery
from chat_service.auth import Identity, Role
from chat_service.errors import BadRequest, ChatError
from chat_service.json_types import JsonObject
from chat_service.policy.assess import MINOR
from chat_service.protocol.commands import ConsentRespond, ConsentWithdraw
from chat_service.protocol.events import MessageUpdated
from chat_service.sealing import (
    SealState,
    consent_after,
    consent_summary,
    decide,
    kept_categories,
)
from chat_service.services import Services
from chat_service.storage.consents import (
    ConsentRequestDoc,
    DeciderDoc,
    GuardianDoc,
    LedgerEntryDoc,
    RequestStatus,
)
from chat_service.storage.conversations import Conversation
from chat_service.storage.messages import MessageDoc, sealed_of

logger = logging.getLogger(__name__)

CAS_RETRIES = 8


class ConsentRequestNotFound(ChatError):
    code = "consent_request_not_found"
    http_status = 404
    default_message = "no such consent request for this customer"


class ConsentAlreadyDecided(ChatError):
    code = "consent_already_decided"
    http_status = 409
    default_message = "this consent request was already answered or has expired"


class GuardianRequired(ChatError):
    code = "guardian_required"
    http_status = 403
    default_message = (
        "this concerns a child under 14: a parent or guardian must answer, with their name "
        "and relationship to the child"
    )


async def granted_categories(services: Services, customer_id: str, *, minor: bool) -> set[str]:
    """Categories on record as granted for the default purpose (by a guardian for a child)."""
    purpose = services.settings.consent.default_purpose
    state: dict[str, LedgerEntryDoc] = {}
    for entry in await services.store.consents.entries(customer_id):
        if entry["purpose"] == purpose:
            for category in entry["categories"]:
                state[category] = entry
    return {
        c
        for c, e in state.items()
        if e["decision"] == "granted" and (not minor or e["decided_by"].get("guardian"))
    }


def _language(identity: Identity, text: str | None) -> str:
    if identity.lang is not None:
        return identity.lang
    if text and any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return "zh"
    return "en"


async def request_consent(
    services: Services,
    identity: Identity,
    conversation: Conversation,
    doc: MessageDoc,
    categories: list[str],
    *,
    guardian: bool,
) -> None:
    """Ask the customer (or attach to the open request that already asks the same).
    A request naming a child's data (category `minor`) always needs a guardian (policy 5),
    whatever else the message told about its author."""
    guardian = guardian or MINOR in categories
    config = services.settings.consent
    purpose = config.default_purpose
    requests = services.store.consent_requests
    # This process's cached view of the open requests (no read once known); attaching is
    # conditional on the request still pending in the store, so a request answered
    # meanwhile (here or elsewhere) is passed over and the message gets a request of its own.
    for open_request in await requests.pending_for(conversation.customer_id, purpose):
        covers = set(categories) <= set(open_request["categories"]) and (
            open_request["guardian_required"] or not guardian
        )
        if covers and await requests.attach_message(open_request, doc["_id"]):
            return
    now = services.clock()
    timeout = config.minor_response_timeout_secs if guardian else config.response_timeout_secs
    language = _language(identity, doc.get("text"))
    request = await requests.create(
        {
            "customer_id": conversation.customer_id,
            "conversation_id": conversation.id,
            "purpose": purpose,
            "categories": categories,
            "message_ids": [doc["_id"]],
            "guardian_required": guardian,
            "language": language,
            "policy_version": config.policy_version,
            "created_at": now,
            "expires_at": now + timedelta(seconds=timeout),
        }
    )
    await delivery.notify_consent_request(services, request)


async def open_requests(services: Services, customer_id: str) -> list[JsonObject]:
    """The `consent.request` frames still waiting for this customer's answer, oldest first:
    sent again when they connect, so a prompt is not lost with a reloaded page or a phone
    that was offline when it was asked."""
    now = services.clock()
    pending = await services.store.consent_requests.pending_for(
        customer_id, services.settings.consent.default_purpose, fresh=True
    )
    return [
        delivery.consent_request_frame(services, r)
        for r in sorted(pending, key=lambda r: r["created_at"])
        if r["expires_at"] > now and r["message_ids"]
    ]


async def respond(
    services: Services, identity: Identity, command: ConsentRespond, connection_id: str
) -> None:
    request = await services.store.consent_requests.get(command.request_id)
    if (
        request is None
        or identity.role is not Role.CUSTOMER
        or (request["customer_id"] != identity.sub)
    ):
        raise ConsentRequestNotFound(ref=command.request_id)
    if request["status"] != "pending":
        raise ConsentAlreadyDecided(ref=command.request_id)
    if request["guardian_required"] and command.granted and command.guardian is None:
        raise GuardianRequired(ref=command.request_id)
    decided_by = DeciderDoc(role=identity.role.value, id=identity.sub)
    if command.guardian is not None:
        decided_by["guardian"] = GuardianDoc(
            name=command.guardian.name, relationship=command.guardian.relationship
        )
    if not await _decide(
        services,
        request,
        granted=command.granted,
        status="granted" if command.granted else "refused",
        decided_by=decided_by,
        connection_id=connection_id,
        reason="answered",
    ):
        # Another tab (or the sweeper) decided it since it was read above.
        raise ConsentAlreadyDecided(ref=command.request_id)


async def sweep_expired(
    services: Services, keep: Callable[[], Awaitable[None]] | None = None
) -> int:
    """Treat requests nobody answered in time as refused, finish decisions that were
    interrupted, and destroy values left pending without any request past the time-out.
    Returns how many requests expired. `keep` is awaited before each request: the
    server's job renews its lease there, or ends the sweep by raising (chat_service/jobs.py)."""
    config = services.settings.consent
    expired = 0
    while batch := await services.store.consent_requests.due(services.clock()):
        for request in batch:
            if keep is not None:
                await keep()
            if await _decide(
                services,
                request,
                granted=False,
                status="expired",
                decided_by={"role": "system", "id": "consent-timeout"},
                connection_id=None,
                reason="expired",
            ):
                expired += 1
    settle = services.clock() - timedelta(seconds=config.sweep_interval_secs)
    for request in await services.store.consent_requests.unapplied(settle):
        await _carry_out(services, request, connection_id=None)
    # Backstop: a message whose consent request was never created (a failure right after
    # it was stored) must not keep its values beyond the time-out either.
    shortest = min(config.response_timeout_secs, config.minor_response_timeout_secs)
    cutoff = services.clock() - timedelta(seconds=shortest)
    for doc in await services.store.messages.pending_since(cutoff):
        sealed = sealed_of(doc)
        minor = any(MINOR in s.categories for s in sealed)
        limit = config.minor_response_timeout_secs if minor else config.response_timeout_secs
        if doc["created_at"] > services.clock() - timedelta(seconds=limit):
            continue
        if await services.store.consent_requests.pending_with_message(doc["_id"]):
            continue  # its request is answered or expired by the loop above
        await _apply_to_message(
            services,
            doc,
            {c for s in sealed for c in s.categories},
            keep=False,
            actor={"role": "system", "id": "consent-timeout"},
            reason="consent expired",
        )
    return expired


async def _decide(
    services: Services,
    request: ConsentRequestDoc,
    *,
    granted: bool,
    status: RequestStatus,
    decided_by: DeciderDoc,
    connection_id: str | None,
    reason: str,
) -> bool:
    """Record the decision on the request (atomically, once), then carry it out."""
    decided = await services.store.consent_requests.decide(
        request["_id"], status, services.clock(), decided_by
    )
    if decided is None:
        return False  # answered concurrently (another tab, or the sweeper)
    # As decided: messages may have joined the request since `request` was read.
    await _carry_out(services, decided, connection_id=connection_id, reason=reason)
    return True


async def _carry_out(
    services: Services,
    request: ConsentRequestDoc,
    *,
    connection_id: str | None,
    reason: str | None = None,
) -> None:
    """Every effect of a decided request; each step is idempotent, so a decision that was
    interrupted is finished by the sweeper (`applied` stays false until the end)."""
    status: str = request["status"]
    granted = status == "granted"
    decided_by: DeciderDoc = request["decided_by"]
    customer_id = request["customer_id"]
    categories: list[str] = request["categories"]
    await services.store.consents.append(
        customer_id=customer_id,
        purpose=request["purpose"],
        categories=categories,
        decision="granted" if granted else ("expired" if status == "expired" else "refused"),
        policy_version=services.settings.consent.policy_version,
        at=request["decided_at"],
        decided_by=decided_by,
        evidence={
            "request_id": request["_id"],
            "message_ids": request["message_ids"],
            "connection_id": connection_id,
        },
        entry_id="cl_" + request["_id"],
    )
    for doc in await services.store.messages.many(request["message_ids"]):
        await _apply_to_message(
            services,
            doc,
            set(categories),
            keep=granted,
            actor=dict(decided_by),
            reason=f"consent {status}",
        )
    if not granted and request["guardian_required"]:
        await services.store.conversations.flag_for_review(
            request["conversation_id"],
            "child's data without a guardian's consent",
            request["decided_at"],
        )
    await services.store.consent_requests.mark_applied(request["_id"])
    await delivery.notify_consent_decided(
        services,
        customer_id,
        request["_id"],
        request["purpose"],
        categories,
        granted=granted,
        reason=reason or ("expired" if status == "expired" else "answered"),
    )


async def _apply_to_message(
    services: Services,
    doc: MessageDoc,
    categories: set[str],
    *,
    keep: bool,
    actor: dict[str, Any],
    reason: str,
    states: tuple[str, ...] = (SealState.PENDING,),
) -> None:
    """Keep or destroy the message's values in `categories`, then tell the participants."""
    updated = await change_secrets(
        services, doc, categories, keep=keep, actor=actor, reason=reason, states=states
    )
    if updated is None:
        return
    conversation = await services.store.conversations.get(doc["conversation_id"])
    if conversation is not None:
        await delivery.publish_message(services, conversation, updated, MessageUpdated)


async def recheck_kept(services: Services, doc: MessageDoc, *, minor: bool) -> MessageDoc:
    """Destroy values kept under a consent withdrawn while the message was on its way."""
    granted = await granted_categories(services, doc["customer_id"], minor=minor)
    revoked = kept_categories(sealed_of(doc)) - granted
    if not revoked:
        return doc
    updated = await change_secrets(
        services,
        doc,
        revoked,
        keep=False,
        actor={"role": "system", "id": "consent-recheck"},
        reason="consent withdrawn",
        states=(SealState.KEPT,),
    )
    return updated or doc


async def change_secrets(
    services: Services,
    message: MessageDoc | dict[str, Any],  # the latter: privacy/retention.py's, untyped still
    categories: set[str],
    *,
    keep: bool,
    actor: dict[str, Any],
    reason: str,
    states: tuple[str, ...],
) -> MessageDoc | None:
    """Keep or destroy values; the updated message, or None if nothing changed.

    `reason` ("consent refused", "consent withdrawn", ...) names the message's consent
    state once no value waits (chat_service/sealing.py `consent_after`).
    Idempotent, and safe against concurrent decisions on the same message: the change is
    a compare-and-swap on the message's `secrets_version`, recomputed from a fresh read
    when another decision got there first (a destroyed value is never written back).
    """
    doc = cast("MessageDoc", message)  # a message document either way
    for _ in range(CAS_RETRIES):
        before = sealed_of(doc)
        decided = decide(before, categories, keep=keep, states=states)
        if not decided.changed(before):
            return None
        consent = consent_summary(decided.sealed, consent_after(reason))
        updated = await services.store.messages.set_secrets(
            doc["_id"], decided.sealed, consent, doc.get("secrets_version", 0)
        )
        if updated is not None:
            break
        fresh = await services.store.messages.get(doc["_id"])
        if fresh is None:
            return None
        doc = fresh
    else:
        raise RuntimeError(f"message {doc['_id']}: too many concurrent consent updates")
    if decided.file_destroyed and "attachment_id" in doc:
        # Its key is gone with the secret; the ciphertext goes too (the redacted copy stays).
        await services.store.attachments.destroy_blob(doc["attachment_id"], "original")
    if decided.destroyed_categories:
        await services.store.audit.record(
            at=services.clock(),
            actor=actor,
            action="sensitive_destroyed",
            customer_id=doc["customer_id"],
            message_id=doc["_id"],
            categories=sorted(set(decided.destroyed_categories)),
            reason=reason,
        )
    return updated


async def withdraw(
    services: Services,
    customer_id: str,
    command: ConsentWithdraw,
    actor: Identity,
    connection_id: str | None,
) -> list[str]:
    """Withdraw consent for categories: destroy every value kept under it (policy 7.3)."""
    config = services.settings.consent
    purpose = command.purpose or config.default_purpose
    if purpose not in config.purposes:
        raise BadRequest(f"unknown purpose {purpose[:40]!r}")
    unknown = set(command.categories) - set(config.sensitive_categories)
    if unknown:
        raise BadRequest(f"unknown categories: {', '.join(sorted(unknown))[:200]}")
    categories = sorted(set(command.categories))
    now = services.clock()
    decided_by = DeciderDoc(role=actor.role.value, id=actor.sub)
    entry = await services.store.consents.append(
        customer_id=customer_id,
        purpose=purpose,
        categories=categories,
        decision="withdrawn",
        policy_version=config.policy_version,
        at=now,
        decided_by=decided_by,
        evidence={"request_id": None, "message_ids": [], "connection_id": connection_id},
    )
    affected = []
    for doc in await services.store.messages.with_kept_secrets(customer_id):
        if kept_categories(sealed_of(doc)) & set(categories):
            await _apply_to_message(
                services,
                doc,
                set(categories),
                keep=False,
                actor=dict(decided_by),
                reason="consent withdrawn",
                states=(SealState.KEPT, SealState.PENDING),
            )
            affected.append(doc["_id"])
    # Tell the other recipients of the customer's data (policy 7.2.2), durably queued.
    await services.notifier.enqueue(
        "consent.withdrawn",
        {
            "customer_id": customer_id,
            "purpose": purpose,
            "categories": categories,
            "policy_version": config.policy_version,
            "message_ids": affected,
        },
        now,
        event_id=entry["_id"],
    )
    await delivery.notify_consent_withdrawn(services, customer_id, purpose, categories)
    return affected
