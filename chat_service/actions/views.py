"""Who may see which sensitive values of a message, and the audit of every such read.

- The customer who owns the conversation sees their own values while they exist.
- Any other role sees a value only once it is kept under the customer's consent, the role
  may see all of its categories (config/consent.toml `[visibility]`), and, for an agent,
  only in a conversation assigned to them: agents browsing the queue see masks.
Every value shown to someone other than its customer writes an audit record, one per
message, except in the customer's export (`view_for_export`): the export is rendered as the
customer sees it and audited once as a whole by chat_service/privacy/export.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chat_service.actions.attachment_views import describe, rendition
from chat_service.actions.visibility import visible_secrets
from chat_service.auth import Identity, Role
from chat_service.protocol.events import AttachmentOut, MessageOut
from chat_service.protocol.render import render_message
from chat_service.sealing import Sealed, SealedField
from chat_service.services import Services
from chat_service.storage.conversations import Conversation
from chat_service.storage.messages import MessageDoc, sealed_of


async def view_message(
    services: Services,
    doc: MessageDoc,
    viewer: Identity,
    conversation: Conversation,
    reason: str,
    plaintexts: Mapping[int, str] | None = None,
) -> MessageOut:
    """Render `doc` for `viewer`: decrypt what they may see, audit reads by others.

    `plaintexts` are values of `doc["secrets"]` the caller holds in clear (by index: the
    message being sent); they stand in for decrypting those values, nothing more: who may
    see what, and the audit, are the same."""
    sealed = sealed_of(doc)
    visible = visible_secrets(sealed, viewer, conversation, services.settings.consent)
    customer_id = conversation.customer_id
    revealed = await _reveal(services, sealed, visible, plaintexts or {})
    owner = viewer.role is Role.CUSTOMER and viewer.sub == customer_id
    if revealed and not owner:
        await services.store.audit.record(
            at=services.clock(),
            actor={"role": viewer.role.value, "id": viewer.sub},
            action="sensitive_read",
            customer_id=customer_id,
            message_id=doc["_id"],
            categories=sorted({c for i in revealed for c in sealed[i].categories}),
            reason=reason,
        )
    attachment = await _attachment_for(services, doc, viewer, visible)
    return render_message(doc, revealed, to_sender=_is_sender(doc, viewer), attachment=attachment)


async def _attachment_for(
    services: Services, doc: MessageDoc, viewer: Identity, visible: list[int]
) -> AttachmentOut | None:
    """The message's picture or file as `viewer` may get it (actions/attachment_views.py)."""
    attachment_id = doc.get("attachment_id")
    if attachment_id is None:
        return None
    attachment = await services.store.attachments.get(attachment_id)
    if attachment is None:
        return None  # removed by retention or a deletion request with its message
    return describe(attachment, rendition(attachment, doc, viewer, visible))


def _is_sender(doc: MessageDoc, viewer: Identity) -> bool:
    sender = doc["sender"]
    return bool(sender["role"] == viewer.role.value and sender["id"] == viewer.sub)


async def view_for_export(
    services: Services, doc: MessageDoc, conversation: Conversation
) -> tuple[MessageOut, set[str]]:
    """Render `doc` exactly as its customer sees it, for the customer's data export, and
    the categories of the values shown in clear. No audit record per message: the caller
    (chat_service/privacy/export.py) records one `export` entry naming who exported, the
    counts and these categories, whoever asked for it (the customer or a privacy officer)."""
    owner = Identity(Role.CUSTOMER, conversation.customer_id)
    sealed = sealed_of(doc)
    visible = visible_secrets(sealed, owner, conversation, services.settings.consent)
    revealed = await _reveal(services, sealed, visible, {})
    categories = {c for i in revealed for c in sealed[i].categories}
    attachment = await _attachment_for(services, doc, owner, visible)
    message = render_message(doc, revealed, to_sender=_is_sender(doc, owner), attachment=attachment)
    return message, categories


async def _reveal(
    services: Services,
    sealed: Sequence[Sealed],
    visible: list[int],
    plaintexts: Mapping[int, str],
) -> dict[int, str]:
    """The `visible` values of the message's `sealed` ones, decrypted (or as given in
    `plaintexts`), by their index in `doc["secrets"]`."""
    revealed: dict[int, str] = {}
    for i in visible:
        item = sealed[i]
        if item.field is SealedField.ATTACHMENT:
            revealed[i] = ""  # the file's key: used by a download, never put in a message
            continue
        value = plaintexts.get(i)
        if value is None:
            assert item.value is not None  # noqa: S101  # only existing values are visible
            value = await services.cipher.decrypt(item.value)
        if value is not None:  # None: the customer's key was shredded
            revealed[i] = value
    return revealed
