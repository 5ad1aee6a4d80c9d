"""Teamwork and the end of a chat (docs/teamwork.md): transfer, internal notes, tags and
priority, the supervisors' view of the team, ratings, handling times, transcripts.

Who may do what:
- transfer: the agent holding an open conversation (to another agent or back to the queue);
  a supervisor, any open conversation (assign from the queue, reassign, unassign). The move
  is a compare-and-swap in the store on the agent the caller saw, so two concurrent moves
  (on any instances) never both win.
- notes, tags, priority: staff who may read the conversation (actions/access.py).
- rating, transcript: the conversation's customer only, once it has ended (transcript: any
  time). A customer is never shown a note: notes live in their own collection, which no
  customer path reads, and their events go to staff audiences only.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from pymongo.errors import PyMongoError

from chat_service.actions import delivery, teamwork_events
from chat_service.actions.access import access_conversation
from chat_service.actions.messages import fetch_history
from chat_service.auth import Identity, Role
from chat_service.errors import (
    AlreadyRated,
    BadRequest,
    ConversationClosed,
    ConversationStillOpen,
    DetectionUnavailable,
    Forbidden,
    StoreUnavailable,
    TextNotScannable,
    TransferConflict,
)
from chat_service.protocol.events import FindingOut, MessageOut, NoteOut, Sender
from chat_service.protocol.render import mask_sensitive
from chat_service.scanning import TextNotScanned
from chat_service.sealing import seal
from chat_service.services import Services
from chat_service.storage.conversations import Conversation, Priority
from chat_service.storage.findings import finding_doc
from chat_service.storage.messages import SecretDoc, SenderDoc, sealed_to_doc
from chat_service.storage.teamwork import NoteDoc, OutcomeDoc, RatingDoc

logger = logging.getLogger(__name__)
STAFF = (Role.AGENT, Role.SUPERVISOR)
MAX_TRANSCRIPT_MESSAGES = 10_000


def _staff(identity: Identity) -> None:
    if identity.role not in STAFF:
        raise Forbidden("only agents and supervisors may do this")


# -- transfer ------------------------------------------------------------------------------


async def do_transfer(
    services: Services, identity: Identity, conversation_id: str, to_agent_id: str | None
) -> Conversation:
    """Move an open conversation to `to_agent_id` (None: back to the queue)."""
    _staff(identity)
    current = await access_conversation(services, identity, conversation_id)
    if current.status != "open":
        raise ConversationClosed()
    if identity.role is Role.AGENT and current.agent_id != identity.sub:
        raise Forbidden("an agent transfers only a conversation they hold; ask a supervisor")
    if to_agent_id == current.agent_id:
        raise BadRequest("the conversation is already there")
    try:
        moved = await services.store.conversations.transfer(
            conversation_id, current.agent_id, to_agent_id
        )
    except PyMongoError as exc:
        raise StoreUnavailable() from exc
    if moved is None:
        raise TransferConflict()
    services.metrics.transfers.labels("queue" if to_agent_id is None else "agent").inc()
    await teamwork_events.notify_transferred(services, current, moved, identity)
    return moved


# -- notes ---------------------------------------------------------------------------------


async def _scan_masked(
    services: Services, identity: Identity, text: str
) -> tuple[str, list[FindingOut], list[SecretDoc]]:
    """`text` scanned like a message, its sensitive values masked and sealed as discarded
    (nobody consented to keeping them here): masked text, findings, sealed values."""
    try:
        raw = await services.scanner.scan(text, None, f"{identity.role.value}:{identity.sub}")
    except TextNotScanned as exc:  # this text's fault: sending it again will not help
        raise TextNotScannable() from exc
    except Exception as exc:
        logger.exception("detection failed")
        raise DetectionUnavailable() from exc
    findings = [FindingOut.model_validate(f) for f in raw]
    masked, moved, masks = mask_sensitive(text, findings)
    sealed = [
        sealed_to_doc(
            seal(
                start=m.start,
                end=m.end,
                entity_types=m.entity_types,
                categories=m.categories,
                value=None,
            )
        )
        for m in masks
    ]
    return masked, moved, sealed


def note_out(doc: NoteDoc) -> NoteOut:
    return NoteOut(
        id=doc["_id"],
        conversation_id=doc["conversation_id"],
        author=Sender(role=doc["author"]["role"], id=doc["author"]["id"]),
        text=doc["text"],
        findings=[FindingOut.model_validate(f) for f in doc["findings"]],
        created_at=doc["created_at"].isoformat(),
    )


async def add_note(
    services: Services, identity: Identity, conversation_id: str, text: str
) -> NoteOut:
    _staff(identity)
    conversation = await access_conversation(services, identity, conversation_id)
    masked, findings, sealed = await _scan_masked(services, identity, text)
    doc = NoteDoc(
        _id="n_" + secrets.token_hex(12),
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        author=SenderDoc(role=identity.role.value, id=identity.sub),
        text=masked,
        findings=[finding_doc(f) for f in findings],
        secrets=sealed,
        created_at=services.clock(),
    )
    try:
        await services.store.notes.insert(doc)
    except PyMongoError as exc:
        raise StoreUnavailable() from exc
    services.metrics.notes.inc()
    note = note_out(doc)
    await teamwork_events.notify_note(services, conversation, note)
    return note


async def list_notes(services: Services, identity: Identity, conversation_id: str) -> list[NoteOut]:
    _staff(identity)
    conversation = await access_conversation(services, identity, conversation_id)
    return [note_out(d) for d in await services.store.notes.for_conversation(conversation.id)]


# -- tags and priority ---------------------------------------------------------------------


async def set_triage(
    services: Services,
    identity: Identity,
    conversation_id: str,
    tags: list[str] | None,
    priority: Priority | None,
) -> Conversation:
    _staff(identity)
    await access_conversation(services, identity, conversation_id)
    if tags is None and priority is None:
        raise BadRequest("give tags, priority or both")
    clean = sorted({t.strip().lower() for t in tags}) if tags is not None else None
    try:
        updated = await services.store.conversations.set_triage(conversation_id, clean, priority)
    except PyMongoError as exc:
        raise StoreUnavailable() from exc
    if updated is None:
        raise BadRequest("the conversation is gone")
    await delivery.publish_updated(services, updated)
    return updated


# -- the supervisors' view -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TeamView:
    unassigned: int
    load: dict[str, int]  # open conversations per agent
    outcomes: list[OutcomeDoc]  # the most recent closed conversations


async def team_view(services: Services, identity: Identity, limit: int = 50) -> TeamView:
    if identity.role is not Role.SUPERVISOR:
        raise Forbidden("the team's view is for supervisors")
    try:
        unassigned, load = await services.store.conversations.open_load()
        outcomes = await services.store.outcomes.recent(limit)
    except PyMongoError as exc:
        raise StoreUnavailable() from exc
    return TeamView(unassigned=unassigned, load=load, outcomes=outcomes)


# -- the end of a chat ---------------------------------------------------------------------


async def record_outcome(services: Services, conversation: Conversation) -> OutcomeDoc | None:
    """A conversation just closed: its handling times, stored and observed in /metrics.
    Never fails the close (the close is done): a store error is logged."""
    if conversation.closed_at is None:
        return None
    try:
        first = await services.store.messages.first_by_role(conversation.id, Role.AGENT.value)
        first_secs = (
            max((first["created_at"] - conversation.created_at).total_seconds(), 0.0)
            if first is not None
            else None
        )
        resolution = max((conversation.closed_at - conversation.created_at).total_seconds(), 0.0)
        doc = OutcomeDoc(
            _id=conversation.id,
            customer_id=conversation.customer_id,
            agent_id=conversation.agent_id,
            created_at=conversation.created_at,
            closed_at=conversation.closed_at,
            first_response_secs=first_secs,
            resolution_secs=resolution,
        )
        await services.store.outcomes.record(doc)
    except PyMongoError:
        logger.exception("recording a conversation's handling times failed")
        return None
    if first_secs is not None:
        services.metrics.first_response.observe(first_secs)
    services.metrics.resolution.observe(resolution)
    return doc


async def rate(
    services: Services,
    identity: Identity,
    conversation_id: str,
    score: int,
    comment: str | None,
) -> OutcomeDoc:
    """The customer rates their ended conversation, once (1-5, optional comment, scanned
    and masked: a sensitive value in it is not kept)."""
    if identity.role is not Role.CUSTOMER:
        raise Forbidden("only the customer rates a conversation")
    conversation = await access_conversation(services, identity, conversation_id)
    if conversation.status == "open":
        raise ConversationStillOpen()
    masked: str | None = None
    findings: list[FindingOut] = []
    if comment is not None and comment.strip():
        masked, findings, _ = await _scan_masked(services, identity, comment)
    rating = RatingDoc(
        score=score,
        comment=masked,
        findings=[finding_doc(f) for f in findings],
        at=services.clock(),
    )
    try:
        if await services.store.outcomes.get(conversation_id) is None:
            await record_outcome(services, conversation)  # closed before outcomes existed
        rated = await services.store.outcomes.rate(conversation_id, rating)
    except PyMongoError as exc:
        raise StoreUnavailable() from exc
    if rated is None:
        raise AlreadyRated()
    services.metrics.ratings.labels(str(score)).inc()
    await teamwork_events.notify_rated(services, rated, score)
    return rated


async def transcript(
    services: Services, identity: Identity, conversation_id: str
) -> tuple[Conversation, list[MessageOut]]:
    """The customer's own view of the whole conversation (as their history renders it)."""
    if identity.role is not Role.CUSTOMER:
        raise Forbidden("a transcript is the customer's own copy")
    conversation = await access_conversation(services, identity, conversation_id)
    messages: list[MessageOut] = []
    after = 0
    while len(messages) < MAX_TRANSCRIPT_MESSAGES:
        _, page, has_more = await fetch_history(services, identity, conversation.id, after)
        messages.extend(page)
        if not has_more or not page:
            break
        after = page[-1].seq
    return conversation, messages
