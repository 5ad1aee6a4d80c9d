"""Which rendition of a picture or file one viewer gets, decided in one place: for the
message a viewer receives (`describe`) and for the download (`choose_rendition`).

An attachment has up to two stored renditions, each encrypted under its own key, which is
wrapped by the customer's data key: the sanitised `original`, and for a picture with
sensitive content a `redacted` copy with those regions blacked out. Once a message carries a
sensitive attachment, the original's wrapped key lives in that message's `secrets` (field
`attachment`), so consent keeps or destroys it exactly as it keeps or destroys a typed ID
number (actions/consent.py): the same states, the same compare-and-swap, the same audit.

- Before a message uses it, only the uploader may fetch it.
- `held` (scanning failed, fail closed): the uploader gets their own file; nobody else
  gets any bytes ("held for review").
- No sensitive content: the conversation's participants get the original.
- Sensitive content: whoever may see the message's attachment secret (actions/views.py:
  the customer while it exists; others once kept under consent and allowed by role, an
  agent only in their assigned conversation) gets the original; anyone else in the
  conversation gets the redacted picture, or nothing for a file ("withheld").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bson.binary import Binary

from chat_service.actions.access import may_read
from chat_service.actions.visibility import visible_secrets
from chat_service.attachments.errors import (
    AttachmentGone,
    AttachmentHeld,
    AttachmentNotFound,
    AttachmentWithheld,
)
from chat_service.auth import Identity, Role
from chat_service.errors import ChatError
from chat_service.protocol.events import AttachmentFindingOut, AttachmentOut
from chat_service.sealing import Sealed, SealState, attachment_seal
from chat_service.services import Services
from chat_service.storage.attachments import AttachmentDoc, BlobRef
from chat_service.storage.conversations import Conversation
from chat_service.storage.messages import MessageDoc, sealed_of

Status = Literal["available", "redacted", "withheld", "held", "destroyed"]


class AttachmentInUse(ChatError):
    code = "attachment_in_use"
    http_status = 409
    default_message = "the attachment already belongs to another message"


@dataclass(frozen=True, slots=True)
class Rendition:
    """What a viewer gets: the status shown in the message, and if bytes, which and how."""

    status: Status
    blob: Literal["original", "redacted"] | None = None
    wrapped_key: Binary | None = None  # the blob's key, wrapped by the customer's data key


def is_uploader(attachment: AttachmentDoc, viewer: Identity) -> bool:
    uploader = attachment["uploader"]
    return bool(uploader["role"] == viewer.role.value and uploader["id"] == viewer.sub)


def attachment_secret(message: MessageDoc) -> tuple[int, Sealed] | None:
    """The message's sealed attachment key, with its index in the message's values."""
    return attachment_seal(sealed_of(message))


def rendition(
    attachment: AttachmentDoc,
    message: MessageDoc | None,
    viewer: Identity,
    visible: list[int],
) -> Rendition:
    """The rendition for `viewer`; `visible` are the message's secret indexes the viewer may
    see (actions/visibility.visible_secrets), empty for an unbound attachment."""
    original = attachment.get("original")
    redacted = attachment.get("redacted")
    if attachment["status"] == "held":
        if is_uploader(attachment, viewer) and original is not None:
            return Rendition("available", "original", original["key"])
        return Rendition("held")
    found = attachment_secret(message) if message is not None else None
    if found is None:
        if original is None:
            return _fallback(redacted, "destroyed")
        return Rendition("available", "original", original["key"])
    index, item = found
    if index in visible and item.value is not None and original is not None:
        return Rendition("available", "original", item.value)
    waiting = item.state in (SealState.PENDING, SealState.KEPT)
    return _fallback(redacted, "withheld" if waiting else "destroyed")


def _fallback(redacted: BlobRef | None, otherwise: Status) -> Rendition:
    if redacted is not None:
        return Rendition("redacted", "redacted", redacted["key"])
    return Rendition(otherwise)


def may_know(
    attachment: AttachmentDoc, viewer: Identity, conversation: Conversation | None
) -> bool:
    """Whether `viewer` may learn the attachment exists (else: not found): its uploader, and
    once a message carries it, whoever may read that conversation (its customer, its agent
    or, while it waits in the queue, any agent; supervisors)."""
    if is_uploader(attachment, viewer):
        return True
    if attachment.get("message_id") is None or conversation is None:
        return False
    return may_read(viewer, conversation)


def describe(attachment: AttachmentDoc, found: Rendition) -> AttachmentOut:
    """The attachment as shown inside a rendered message."""
    return AttachmentOut(
        id=attachment["_id"],
        kind=attachment["kind"],
        name=attachment["name"],
        content_type=attachment["content_type"],
        size=attachment["size"],
        status=found.status,
        findings=[AttachmentFindingOut.model_validate(f) for f in attachment.get("findings", [])],
    )


def raise_for(found: Rendition) -> None:
    """The download error for a rendition without bytes."""
    if found.blob is not None:
        return
    if found.status == "held":
        raise AttachmentHeld()
    if found.status == "withheld":
        raise AttachmentWithheld()
    raise AttachmentGone()


async def choose_rendition(
    services: Services, identity: Identity, attachment: AttachmentDoc
) -> tuple[Literal["original", "redacted"], BlobRef]:
    """For a download: which rendition `identity` gets and its blob reference (file id and
    wrapped key); raises not found / held / withheld / gone. A sensitive original fetched by
    anyone but its customer is audited, as every other sensitive read is."""
    message = conversation = None
    message_id, conversation_id = attachment.get("message_id"), attachment.get("conversation_id")
    if message_id is not None:
        message = await services.store.messages.get(message_id)
        conversation = (
            await services.store.conversations.get(conversation_id)
            if conversation_id is not None
            else None
        )
    if not may_know(attachment, identity, conversation):
        raise AttachmentNotFound()
    consent = services.settings.consent
    visible = (
        visible_secrets(sealed_of(message), identity, conversation, consent)
        if message is not None and conversation is not None
        else []
    )
    found = rendition(attachment, message, identity, visible)
    raise_for(found)
    assert found.blob is not None  # noqa: S101  # raise_for raised otherwise
    blob = attachment[found.blob]
    if blob is None:
        raise AttachmentGone()
    secret = attachment_secret(message) if message is not None else None
    owner = identity.role is Role.CUSTOMER and identity.sub == attachment["customer_id"]
    if found.blob == "original" and secret is not None and not owner:
        await services.store.audit.record(
            at=services.clock(),
            actor={"role": identity.role.value, "id": identity.sub},
            action="sensitive_read",
            customer_id=attachment["customer_id"],
            message_id=attachment["message_id"],
            categories=sorted(secret[1].categories),
            reason="attachment download",
        )
    return found.blob, BlobRef(file_id=blob["file_id"], key=found.wrapped_key)
