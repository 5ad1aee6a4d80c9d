"""Who gets which rendition of an attachment, decided in one place (first version; the
message/consent integration extends it for bound attachments).

- Nobody learns that an attachment exists unless they may get something of it: anyone else
  gets 404, whether it exists or not.
- Unbound (no message uses it yet): its uploader only, the original.
- Held (scanning failed, fail closed): its uploader gets their own file; the conversation's
  other participants get 423 "held for review", never the raw file.
- Bound: the conversation's customer and its assigned agent (and the uploader). Without
  sensitive findings they get the original; with sensitive findings the customer (and the
  uploader) get the original, anyone else the redacted copy of a picture, or 403
  "withheld pending consent" for a file.
- A rendition that was destroyed: 410.
"""

from __future__ import annotations

from typing import Any, Literal

from chat_service.attachments.errors import (
    AttachmentGone,
    AttachmentHeld,
    AttachmentNotFound,
    AttachmentWithheld,
)
from chat_service.auth import Identity, Role
from chat_service.services import Services


def is_uploader(identity: Identity, doc: dict[str, Any]) -> bool:
    uploader = doc["uploader"]
    return bool(uploader["role"] == identity.role.value and uploader["id"] == identity.sub)


async def _is_participant(services: Services, identity: Identity, doc: dict[str, Any]) -> bool:
    conversation_id = doc.get("conversation_id")
    if conversation_id is None:
        return False
    conversation = await services.store.conversations.get(conversation_id)
    if conversation is None:
        return False
    if identity.role is Role.CUSTOMER:
        return conversation.customer_id == identity.sub
    if identity.role is Role.AGENT:
        return conversation.agent_id == identity.sub
    return False


async def choose_rendition(
    services: Services, identity: Identity, doc: dict[str, Any]
) -> Literal["original", "redacted"]:
    uploader = is_uploader(identity, doc)
    if doc.get("message_id") is None:
        if not uploader:
            raise AttachmentNotFound()
        return _present(doc, "original")
    if not uploader and not await _is_participant(services, identity, doc):
        raise AttachmentNotFound()
    if doc["status"] == "held":
        if uploader:
            return _present(doc, "original")
        raise AttachmentHeld()
    if not doc["sensitive"] or uploader or identity.role is Role.CUSTOMER:
        return _present(doc, "original")
    if doc["kind"] == "image":
        return _present(doc, "redacted")
    raise AttachmentWithheld()


def _present(
    doc: dict[str, Any], which: Literal["original", "redacted"]
) -> Literal["original", "redacted"]:
    if doc.get(which) is None:
        raise AttachmentGone()
    return which
