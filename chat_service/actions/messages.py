"""Sending messages and reading history.

Flow of one message: command (validated) -> conversation resolved and authorised ->
scanned for personal information (process pool) -> policy: sensitive spans, a child
author, consent on record -> stored masked, sensitive values encrypted with the
customer's key (durable, idempotent, ordered) -> ack to the sender -> rendered per viewer
and published to the participants -> consent.request to the customer if needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic_core import to_json
from pymongo.errors import PyMongoError

from chat_service.actions import consent as consent_actions
from chat_service.actions import delivery, minors
from chat_service.actions.access import access_conversation
from chat_service.actions.attachment_views import (
    AttachmentInUse,
    is_uploader,
)
from chat_service.actions.customer_lang import keep_lang, lang_of
from chat_service.actions.views import view_message
from chat_service.attachments.errors import AttachmentNotFound
from chat_service.auth import Identity, Role
from chat_service.errors import (
    ConversationClosed,
    ConversationNotFound,
    DetectionUnavailable,
    ProtocolError,
    StoreUnavailable,
    TextNotScannable,
    TooManyConversations,
)
from chat_service.policy.assess import MINOR, assess
from chat_service.policy.location import coarse_area, normalised
from chat_service.protocol.commands import MessageSend
from chat_service.protocol.events import (
    FindingOut,
    MessageAck,
    MessageNew,
    MessageOut,
    MessageUpdated,
    WarningOut,
)
from chat_service.protocol.render import Mask, mask_sensitive
from chat_service.scanning import TextNotScanned
from chat_service.sealing import (
    MessageConsent,
    Sealed,
    SealedField,
    SealState,
    attachment_seal,
    consent_summary,
    decide,
    pending_categories,
    seal,
)
from chat_service.search_terms import terms_of
from chat_service.services import Services
from chat_service.storage.attachments import AttachmentDoc
from chat_service.storage.conversations import Conversation
from chat_service.storage.findings import finding_doc
from chat_service.storage.messages import (
    AreaDoc,
    MessageDoc,
    SenderDoc,
    message_id_for,
    sealed_of,
    sealed_to_doc,
)
from chat_service.storage.messages import Stored as Inserted

logger = logging.getLogger(__name__)
# The window of `limits.conversations_per_hour` (config/server.toml).
CONVERSATION_CAP_WINDOW = timedelta(hours=1)

HISTORY_BATCH = 20  # messages per store round trip while filling a history page


@dataclass(frozen=True, slots=True)
class Stored:
    """A message just stored, and what its delivery needs once the ack is on its way
    (`finish_send`)."""

    author: Identity
    conversation: Conversation
    doc: MessageDoc
    # Values of `doc["secrets"]` still in clear here, by index (nothing is decrypted).
    plaintexts: dict[int, str]
    # The categories of the values waiting for the customer's consent; None: none waits.
    pending_categories: list[str] | None
    author_minor: bool
    newly_minor: bool
    attachment: AttachmentDoc | None


@dataclass(frozen=True, slots=True)
class SendResult:
    """The ack and any warning for the sender, and the message to deliver once the ack is
    on its way (None for a resend: it was delivered the first time)."""

    ack: MessageAck
    conversation: Conversation
    stored: Stored | None = None
    warnings: list[WarningOut] = field(default_factory=list)


async def check_send_message(
    services: Services, identity: Identity, command: MessageSend
) -> SendResult:
    """Authorise and resolve the conversation, scan, apply the policy, store, publish.

    The scan does not depend on the conversation, so it runs while the conversation is
    resolved (and an attachment looked up): a first message or a cache miss then costs
    the longer of the two, not their sum. Nothing is stored or passed on before the scan
    has finished; a message refused meanwhile has its scan cancelled, and a failed scan
    refuses the message exactly as before (the conversation it opened stays, empty)."""
    if identity.role not in (Role.CUSTOMER, Role.AGENT):
        raise ConversationNotFound("only customers and agents send messages", ref=command.client_id)
    scan = (
        asyncio.create_task(
            services.scanner.scan(command.text, None, f"{identity.role.value}:{identity.sub}"),
            name="scan-message",
        )
        if command.text is not None
        else None
    )
    try:
        try:
            conversation, created = await _resolve_conversation(services, identity, command)
            if conversation is None:
                # A resend of a message already stored (in a conversation it did not name,
                # or in one closed since).
                existing = await services.store.messages.get(
                    message_id_for(identity.role, identity.sub, command.client_id)
                )
                assert existing is not None  # noqa: S101  # _resolve returned None only if so
                services.metrics.duplicates.inc()
                original = await access_conversation(
                    services, identity, existing["conversation_id"]
                )
                return SendResult(_ack(command.client_id, existing, duplicate=True), original)
        except PyMongoError as exc:
            raise StoreUnavailable(ref=command.client_id) from exc
        if created:
            services.store.messages.created(conversation.id)
            await delivery.publish_opened(services, conversation)
        attachment = None
        if command.attachment_id is not None:
            attachment = await _usable_attachment(services, identity, conversation, command)
        findings: list[FindingOut] = []
        if scan is not None:
            try:
                raw = await scan
            except TextNotScanned as exc:  # the text's fault: sending it again will not help
                raise TextNotScannable(ref=command.client_id) from exc
            except Exception as exc:
                # Never store or pass on a message that was not scanned.
                logger.exception("detection failed")
                raise DetectionUnavailable(ref=command.client_id) from exc
            findings = [FindingOut.model_validate(f) for f in raw]
    finally:
        if scan is not None:
            _drop(scan)
    return await do_send_message(
        services, identity, conversation, command, findings, attachment=attachment
    )


def _drop(scan: asyncio.Task[Any]) -> None:
    """Cancel a scan nobody will use; mark a finished one's outcome as seen."""
    if not scan.done():
        scan.cancel()
    elif not scan.cancelled():
        scan.exception()


async def _usable_attachment(
    services: Services, identity: Identity, conversation: Conversation, command: MessageSend
) -> AttachmentDoc:
    """The attachment a message may carry: uploaded by this sender, of the message's kind,
    not bound to another conversation or message (a resend finds it bound to itself)."""
    assert command.attachment_id is not None  # noqa: S101  # checked by the caller
    try:
        attachment = await services.store.attachments.get(command.attachment_id)
    except PyMongoError as exc:
        raise StoreUnavailable(ref=command.client_id) from exc
    if attachment is None or not is_uploader(attachment, identity):
        raise AttachmentNotFound(ref=command.client_id)
    if attachment["kind"] != command.kind:
        raise ProtocolError(
            "invalid_field",
            f"kind: the attachment is {attachment['kind']!r}",
            ref=command.client_id,
        )
    message_id = message_id_for(identity.role, identity.sub, command.client_id)
    bound_conversation = attachment.get("conversation_id")
    bound_message = attachment.get("message_id")
    if (bound_conversation not in (None, conversation.id)) or (
        bound_message not in (None, message_id)
    ):
        raise AttachmentInUse(ref=command.client_id)
    return attachment


async def _resolve_conversation(
    services: Services, identity: Identity, command: MessageSend
) -> tuple[Conversation | None, bool]:
    if identity.role is Role.AGENT:
        if command.conversation_id is None:
            raise ConversationNotFound("conversation_id is required", ref=command.client_id)
        conversation = await services.store.conversations.get(command.conversation_id)
        if conversation is None or conversation.agent_id != identity.sub:
            raise ConversationNotFound(
                "join the conversation before writing in it", ref=command.client_id
            )
        if conversation.status != "open":
            if await _already_stored(services, identity, command):
                return None, False
            raise ConversationClosed(ref=command.client_id)
        return conversation, False
    # Customer: their named conversation if it is still open, else their open one or a new one.
    if command.conversation_id is not None:
        named = await services.store.conversations.get(command.conversation_id)
        if named is None or named.customer_id != identity.sub:
            raise ConversationNotFound(ref=command.client_id)
        if named.status == "open":
            return await _with_customer_fields(services, identity, named), False
    current = await services.store.conversations.find_open(identity.sub)
    if current is not None:
        # A conversation the message did not name: its original (if this is a resend) may
        # be in another one, which on a sharded `messages` is on another shard, where the
        # insert's unique `_id` would not see it. Look first (docs/idempotency.md).
        if await _already_stored(services, identity, command):
            return None, False
        return await _with_customer_fields(services, identity, current), False
    if await _already_stored(services, identity, command):
        return None, False  # a resend after its conversation was closed: no new, empty one
    now = services.clock()
    cap = services.settings.config.limits.conversations_per_hour
    opened = await services.store.conversations.count_opened_since(
        identity.sub, now - CONVERSATION_CAP_WINDOW
    )
    if opened >= cap:  # open-close churn: every open is announced to every agent
        raise TooManyConversations(ref=command.client_id)
    return await services.store.conversations.open_for_customer(
        identity.sub, now, identity.name, identity.profile, lang_of(identity)
    )


async def _with_customer_fields(
    services: Services, identity: Identity, conversation: Conversation
) -> Conversation:
    """The open conversation with the name and shop fields of the customer's current token
    (the newest token wins; a token with neither leaves what is kept) and their language."""
    conversation = await keep_lang(services, identity, conversation)
    if identity.name is None and not identity.profile:
        return conversation
    if conversation.customer_name == identity.name and dict(conversation.customer_profile) == dict(
        identity.profile
    ):
        return conversation
    updated = await services.store.conversations.set_customer_fields(
        conversation.id, identity.name, identity.profile
    )
    return updated or conversation


async def _already_stored(services: Services, identity: Identity, command: MessageSend) -> bool:
    message_id = message_id_for(identity.role, identity.sub, command.client_id)
    return await services.store.messages.get(message_id) is not None


def message_document(
    *,
    message_id: str,
    conversation: Conversation,
    seq: int,
    client_id: str,
    sender: Identity,
    kind: str,
    text: str | None,
    findings: list[FindingOut],
    secrets: list[dict[str, Any]],
    consent: str | None,
    created_at: datetime,
) -> dict[str, Any]:
    """`stored_message` for tests and benchmarks that write hand-made `secrets` to a store."""
    doc: dict[str, Any] = dict(
        stored_message(
            message_id=message_id,
            conversation=conversation,
            seq=seq,
            client_id=client_id,
            sender=sender,
            kind=kind,
            text=text,
            findings=findings,
            sealed=(),
            consent=MessageConsent(consent) if consent is not None else None,
            created_at=created_at,
        )
    )
    doc["secrets"] = secrets
    return doc


def stored_message(
    *,
    message_id: str,
    conversation: Conversation,
    seq: int,
    client_id: str,
    sender: Identity,
    kind: str,
    text: str | None,
    findings: Sequence[FindingOut],
    sealed: Sequence[Sealed],
    consent: MessageConsent | None,
    created_at: datetime,
) -> MessageDoc:
    """A message as stored (text masked, sensitive values encrypted in `secrets`);
    MessageStore.insert adds `conv_seq` and `secrets_version`."""
    return MessageDoc(
        _id=message_id,
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        seq=seq,
        client_id=client_id,
        sender=SenderDoc(role=sender.role.value, id=sender.sub),
        kind=kind,
        text=text,
        findings=[finding_doc(f) for f in findings],
        secrets=[sealed_to_doc(s) for s in sealed],
        consent=consent.value if consent is not None else None,
        created_at=created_at,
        search_terms=terms_of(text),
    )


@dataclass(frozen=True, slots=True)
class _Draft:
    """A message ready to store: its masked text and findings, its sealed values, and the
    values the sender just typed in clear (by index in `sealed`: the live delivery shows
    them to whoever may see them without decrypting what it has just encrypted)."""

    text: str | None
    findings: list[FindingOut]
    sealed: tuple[Sealed, ...]
    plaintexts: dict[int, str]
    author_minor: bool
    attachment_id: str | None
    location_area: AreaDoc | None


async def do_send_message(
    services: Services,
    identity: Identity,
    conversation: Conversation,
    command: MessageSend,
    findings: list[FindingOut],
    *,
    attachment: AttachmentDoc | None = None,
) -> SendResult:
    """Seal the message's sensitive values, store it, ack; publish once the ack is out."""
    now = services.clock()
    message_id = message_id_for(identity.role, identity.sub, command.client_id)
    by_customer = identity.role is Role.CUSTOMER
    draft = await _seal(services, identity, conversation, command, findings, attachment)
    warnings = [] if by_customer or not draft.sealed else [_masked_warning(command, draft)]
    stored = await _store(
        services,
        conversation,
        command,
        message_id,
        _builder(draft, message_id, conversation, identity, command, now),
        attachment,
    )
    if stored.duplicate:
        services.metrics.duplicates.inc()
        return SendResult(_ack(command.client_id, stored.doc, duplicate=True), conversation)
    try:
        if draft.author_minor and not conversation.minor:
            await services.store.conversations.mark_minor(conversation.id)
        doc = stored.doc
        if any(s.state is SealState.KEPT for s in draft.sealed):
            # A withdrawal may have landed while this message was on its way.
            doc = await consent_actions.recheck_kept(services, doc, minor=draft.author_minor)
    except PyMongoError as exc:
        raise StoreUnavailable(ref=command.client_id) from exc
    services.metrics.messages_stored.labels(command.kind, identity.role.value).inc()
    stored_message = Stored(
        author=identity,
        conversation=conversation,
        doc=doc,
        plaintexts=draft.plaintexts,
        pending_categories=pending_categories(draft.sealed) or None,
        author_minor=draft.author_minor,
        newly_minor=draft.author_minor and not conversation.minor,
        attachment=attachment,
    )
    return SendResult(
        _ack(command.client_id, doc, duplicate=False), conversation, stored_message, warnings
    )


def _builder(
    draft: _Draft,
    message_id: str,
    conversation: Conversation,
    sender: Identity,
    command: MessageSend,
    now: datetime,
) -> Callable[[int], MessageDoc]:
    """The stored document for a seq (MessageStore.insert allocates it)."""
    by_customer = sender.role is Role.CUSTOMER
    consent = consent_summary(
        draft.sealed, MessageConsent.GRANTED if by_customer and draft.sealed else None
    )

    def build(seq: int) -> MessageDoc:
        doc = stored_message(
            message_id=message_id,
            conversation=conversation,
            seq=seq,
            client_id=command.client_id,
            sender=sender,
            kind=command.kind,
            text=draft.text,
            findings=draft.findings,
            sealed=draft.sealed,
            consent=consent,
            created_at=now,
        )
        if draft.attachment_id is not None:
            doc["attachment_id"] = draft.attachment_id
        if draft.location_area is not None:
            doc["location_area"] = draft.location_area
        return doc

    return build


def _masked_warning(command: MessageSend, draft: _Draft) -> WarningOut:
    return WarningOut(
        code="sensitive_data_masked",
        message="sensitive personal information in your message was masked and not kept",
        ref=command.client_id,
        entity_types=sorted({t for s in draft.sealed for t in s.entity_types}),
    )


async def _seal(
    services: Services,
    identity: Identity,
    conversation: Conversation,
    command: MessageSend,
    findings: list[FindingOut],
    attachment: AttachmentDoc | None,
) -> _Draft:
    """Mask and seal the message's sensitive values (text spans, location, attachment),
    kept at once under a consent already on record."""
    by_customer = identity.role is Role.CUSTOMER
    text = command.text
    minor_age = services.settings.consent.minor_age_years
    assessment = assess(
        text or "",
        findings,
        author_known_minor=by_customer and (conversation.minor or identity.is_minor(minor_age)),
    )
    author_minor = by_customer and assessment.author_is_minor
    masked_text, stored_findings, masks = (
        mask_sensitive(text, assessment.findings) if text is not None else (None, [], [])
    )
    sensitive_attachment = bool(
        attachment is not None and attachment.get("sensitive") and attachment["status"] == "ready"
    )
    customer_id = conversation.customer_id
    # Whether the customer consented is looked up while the values are encrypted (on a
    # customer's first sensitive message both read the store: the ledger, the key vault).
    ledger = (
        asyncio.create_task(
            consent_actions.granted_categories(services, customer_id, minor=author_minor),
            name="consent-ledger",
        )
        if by_customer and (masks or command.location is not None or sensitive_attachment)
        else None
    )
    try:
        sealed, plaintexts = await _seal_text(
            services, customer_id, text, masks, by_customer, author_minor
        )
        if command.location is not None:
            item, location = await _seal_location(
                services, customer_id, command, by_customer, author_minor
            )
            if by_customer:
                plaintexts[len(sealed)] = location
            sealed.append(item)
        if attachment is not None and sensitive_attachment:
            sealed.append(_seal_attachment(attachment, by_customer, author_minor))
        if by_customer and sealed:
            assert ledger is not None  # noqa: S101  # started for every customer secret
            granted = await ledger
            # Every value whose categories are all granted (as before these types, a
            # discarded one too: it then shows as kept, without a value).
            sealed = list(
                decide(
                    sealed, granted, keep=True, states=(SealState.PENDING, SealState.DISCARDED)
                ).sealed
            )
    except PyMongoError as exc:
        raise StoreUnavailable(ref=command.client_id) from exc
    finally:
        if ledger is not None:
            _drop(ledger)
    return _Draft(
        text=masked_text,
        findings=stored_findings,
        sealed=tuple(sealed),
        plaintexts=plaintexts,
        author_minor=author_minor,
        attachment_id=attachment["_id"] if attachment is not None else None,
        location_area=(
            _area(command.location.lat, command.location.lng)
            if command.location is not None and by_customer
            else None
        ),
    )


async def _seal_text(
    services: Services,
    customer_id: str,
    text: str | None,
    masks: list[Mask],
    by_customer: bool,
    author_minor: bool,
) -> tuple[list[Sealed], dict[int, str]]:
    """The text's masked spans sealed: the customer's encrypted, pending consent; an
    agent's pasted card number is never kept (masked in storage). With the customer's
    values in clear, by index."""
    sealed: list[Sealed] = []
    plaintexts: dict[int, str] = {}
    for mask in masks:
        value = None
        if by_customer:
            assert text is not None  # noqa: S101  # masks come from the text
            plaintexts[len(sealed)] = text[mask.original_start : mask.original_end]
            value = await services.cipher.encrypt(customer_id, plaintexts[len(sealed)])
        sealed.append(
            seal(
                start=mask.start,
                end=mask.end,
                entity_types=mask.entity_types,
                categories=mask.categories,
                value=value,
                minor=author_minor,
            )
        )
    return sealed, plaintexts


async def _seal_location(
    services: Services,
    customer_id: str,
    command: MessageSend,
    by_customer: bool,
    author_minor: bool,
) -> tuple[Sealed, str]:
    """The shared position sealed, and its JSON in clear. An agent's own position is not
    the customer's data: never kept."""
    point = command.location
    assert point is not None  # noqa: S101  # checked by the caller
    location = json.dumps(normalised(point.lat, point.lng, point.accuracy_m), separators=(",", ":"))
    value = await services.cipher.encrypt(customer_id, location) if by_customer else None
    item = seal(
        field=SealedField.LOCATION,
        entity_types=["GPS_COORDINATES"],
        categories=["precise_location"],
        value=value,
        minor=author_minor,
    )
    return item, location


def _seal_attachment(attachment: AttachmentDoc, by_customer: bool, author_minor: bool) -> Sealed:
    """The original's key moves into the message: consent keeps or destroys it. An agent's
    picture of someone's ID card is never kept (as typed text)."""
    original = attachment.get("original")
    return seal(
        field=SealedField.ATTACHMENT,
        entity_types=attachment["entity_types"],
        categories=attachment["categories"],
        value=original["key"] if by_customer and original is not None else None,
        minor=author_minor,
    )


def _area(lat: float, lng: float) -> AreaDoc:
    area = coarse_area(lat, lng)
    return AreaDoc(lat=area["lat"], lng=area["lng"], radius_m=area["radius_m"])


async def _store(
    services: Services,
    conversation: Conversation,
    command: MessageSend,
    message_id: str,
    build: Callable[[int], MessageDoc],
    attachment: AttachmentDoc | None,
) -> Inserted:
    """Insert the message under the conversation's write lock, tying the attachment to it
    while it is written (bind is idempotent for this message id, and undone if the
    message is not stored)."""

    async def still_open() -> None:
        # Under the conversation's write lock: a close that won the race is final.
        current = await services.store.conversations.get(conversation.id)
        if current is None or current.status != "open":
            raise ConversationClosed(ref=command.client_id)

    binding = (
        asyncio.create_task(
            services.store.attachments.bind(attachment["_id"], conversation.id, message_id)
        )
        if attachment is not None
        else None
    )
    try:
        try:
            stored = await services.store.messages.insert(conversation.id, build, still_open)
        except BaseException:
            if binding is not None:
                await _undo_binding(services, binding, attachment, message_id)
            raise
        if binding is not None:
            await binding
        if stored.doc["sender"]["role"] != Role.CUSTOMER.value:
            # The inbox's mark of the newest staff message (docs/inbox.md "Reads"); on a
            # replay too, in case the first attempt stopped before it (`$max`: no harm).
            await services.store.conversations.note_staff_message(
                stored.doc["conversation_id"], stored.doc["seq"]
            )
    except PyMongoError as exc:
        raise StoreUnavailable(ref=command.client_id) from exc
    return stored


async def finish_send(services: Services, result: SendResult) -> None:
    """What follows the ack (ws/dispatch.py sends the ack first): the participants get the
    message (actions/delivery.py), the customer a consent request for its pending values,
    and a child's earlier messages are masked and published again."""
    stored = result.stored
    if stored is None:
        return
    identity, conversation, doc = stored.author, stored.conversation, stored.doc
    if stored.attachment is not None:
        await _settle_original(services, stored.attachment, doc)
    await delivery.publish_message(services, conversation, doc, MessageNew, stored.plaintexts)
    if stored.pending_categories is not None:
        await consent_actions.request_consent(
            services,
            identity,
            conversation,
            doc,
            stored.pending_categories,
            guardian=stored.author_minor,
        )
    if stored.newly_minor:
        # The agents' queue and header show that the customer is a child.
        await delivery.publish_updated(services, dataclasses.replace(conversation, minor=True))
        # What the child wrote before this message is a child's data too.
        for earlier in await minors.mask_earlier(services, identity, conversation, doc["seq"]):
            await delivery.publish_message(services, conversation, earlier, MessageUpdated)
            await consent_actions.request_consent(
                services, identity, conversation, earlier, [MINOR], guardian=True
            )


async def _undo_binding(
    services: Services,
    binding: asyncio.Task[AttachmentDoc | None],
    attachment: AttachmentDoc | None,
    message_id: str,
) -> None:
    assert attachment is not None  # noqa: S101  # a binding exists only for an attachment
    with contextlib.suppress(Exception):
        if await binding is not None:
            await services.store.attachments.unbind(attachment["_id"], message_id)


async def _settle_original(services: Services, attachment: AttachmentDoc, doc: MessageDoc) -> None:
    """After the ack: a sensitive original's key now lives only in the message (the copy
    in the attachment goes), and an original nobody may keep (an agent's picture of an ID
    card) goes with its file. Until then neither is served: who gets what follows the
    message's secret (actions/attachment_views.py)."""
    found = attachment_seal(sealed_of(doc))
    if found is None:
        return
    _index, item = found
    if item.state is SealState.DISCARDED:
        await services.store.attachments.destroy_blob(attachment["_id"], "original")
    else:
        await services.store.attachments.unset_original_key(attachment["_id"])


def _ack(client_id: str, doc: MessageDoc, *, duplicate: bool) -> MessageAck:
    return MessageAck(
        client_id=client_id,
        message_id=doc["_id"],
        conversation_id=doc["conversation_id"],
        seq=doc["seq"],
        duplicate=duplicate,
    )


async def fetch_history(
    services: Services, identity: Identity, conversation_id: str, after_seq: int
) -> tuple[Conversation, list[MessageOut], bool]:
    """A page of history: at most `history_page` messages and, past the first message, no
    more than `history_page_bytes` of them (JSON); `has_more` when the caller should ask
    again after the last seq. Read from the store a batch at a time, so a conversation of
    long messages never loads more than the page it answers with."""
    conversation = await access_conversation(services, identity, conversation_id)
    limits = services.settings.config.limits
    page, budget = limits.history_page, limits.history_page_bytes
    messages: list[MessageOut] = []
    size = 0
    has_more = False
    cursor = services.store.messages.stream_after(
        conversation_id, after_seq, page + 1, min(page + 1, HISTORY_BATCH)
    )
    try:
        async for doc in cursor:
            if len(messages) == page:
                has_more = True
                break
            message = await view_message(services, doc, identity, conversation, "history")
            size += len(to_json(message))
            if messages and size > budget:
                has_more = True
                break
            messages.append(message)
    except PyMongoError as exc:
        raise StoreUnavailable() from exc
    finally:
        await cursor.close()
    return conversation, messages, has_more
