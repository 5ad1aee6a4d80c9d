"""A customer found to be a child mid-conversation: what they wrote before is a child's too.

Policy 5 makes anything about a child under 14 sensitive. A child known from the start (a
token's `age` claim) has every message masked as it arrives (policy/assess.py). When a
message is the first to show that its author is a child (an AGE or DATE_OF_BIRTH finding
about themselves), the personal data they had already written in the conversation in
clear (names, phone numbers, addresses: not sensitive for an adult, so stored as typed) is
masked and encrypted here as a child's new message would have been: category `minor`,
pending a guardian's consent. Agents get `message.updated` with the masks, and the
messages join the guardian's consent request, whose refusal or time-out destroys them.

Values already kept under a consent the child gave themselves stay as they are (see
docs/consent.md, known limits).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from chat_service.actions.consent import CAS_RETRIES
from chat_service.auth import Identity, Role
from chat_service.policy.assess import MINOR
from chat_service.protocol.events import FindingOut
from chat_service.protocol.render import Mask, mask_sensitive, masked_span
from chat_service.sealing import Sealed, seal
from chat_service.services import Services
from chat_service.storage.conversations import Conversation
from chat_service.storage.findings import FindingDoc, finding_doc
from chat_service.storage.messages import MessageDoc, sealed_of

logger = logging.getLogger(__name__)

PAGE = 200


async def mask_earlier(
    services: Services, author: Identity, conversation: Conversation, before_seq: int
) -> list[MessageDoc]:
    """Mask the clear personal data in `author`'s messages of `conversation` before
    `before_seq`; the messages changed, as stored now. Idempotent: a message with nothing
    left in clear is not touched."""
    changed: list[MessageDoc] = []
    after = 0
    while after < before_seq - 1:
        docs = await services.store.messages.after(conversation.id, after, PAGE)
        for doc in docs:
            if doc["seq"] >= before_seq:
                return changed
            if _written_by(doc, author):
                updated = await _mask_message(services, doc)
                if updated is not None:
                    changed.append(updated)
        if len(docs) < PAGE:
            break
        after = docs[-1]["seq"]
    return changed


def _written_by(doc: MessageDoc, author: Identity) -> bool:
    sender = doc.get("sender")
    return (
        sender is not None
        and sender.get("role") == Role.CUSTOMER.value
        and sender.get("id") == author.sub
    )


async def _mask_message(services: Services, doc: MessageDoc) -> MessageDoc | None:
    """One message's clear findings masked and encrypted (compare-and-swap on its
    `secrets_version`, recomputed from a fresh read if another change got there first)."""
    for _ in range(CAS_RETRIES):
        masked = await _masked_form(services, doc)
        if masked is None:
            return None
        text, findings, sealed = masked
        updated = await services.store.messages.remask(
            doc["_id"],
            doc.get("secrets_version", 0),
            text=text,
            findings=findings,
            sealed=sealed,
        )
        if updated is not None:
            return updated
        fresh = await services.store.messages.get(doc["_id"])
        if fresh is None:
            return None  # deleted meanwhile (retention, a deletion request)
        doc = fresh
    logger.warning("a child's earlier message kept changing; not masked", extra={"id": doc["_id"]})
    return None


async def _masked_form(
    services: Services, doc: MessageDoc
) -> tuple[str, list[FindingDoc], list[Sealed]] | None:
    text = doc.get("text")
    if text is None:
        return None
    sealed = sealed_of(doc)
    placed = [(s.start, s.end) for s in sealed if s.start is not None and s.end is not None]
    findings = [FindingOut.model_validate(f) for f in doc.get("findings", [])]

    clear = [
        not f.sensitive and not any(f.start < end and start < f.end for start, end in placed)
        for f in findings
    ]
    if not any(clear):
        return None
    # Only the clear spans are masked now; the placeholders already there stay and move.
    marked = [
        f.model_copy(update={"sensitive": True, "category": MINOR} if now else {"sensitive": False})
        for f, now in zip(findings, clear, strict=True)
    ]
    new_text, moved, masks = mask_sensitive(text, marked)
    stored = [
        m.model_copy(update={"sensitive": f.sensitive or now})
        for f, now, m in zip(findings, clear, moved, strict=True)
    ]
    shifted = [_shift(s, masks) for s in sealed]
    for mask in masks:
        value = text[mask.original_start : mask.original_end]
        shifted.append(
            seal(
                start=mask.start,
                end=mask.end,
                entity_types=mask.entity_types,
                categories=[MINOR],
                value=await services.cipher.encrypt(doc["customer_id"], value),
                minor=False,
            )
        )
    return new_text, [finding_doc(f) for f in stored], shifted


def _shift(item: Sealed, masks: list[Mask]) -> Sealed:
    """An existing placeholder's place in the text once the new masks are in."""
    if item.start is None or item.end is None:
        return item
    start, end = masked_span(item.start, item.end, masks)
    return replace(item, start=start, end=end)
