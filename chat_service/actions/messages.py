"""Sending messages and reading history.

Flow of one message: command (validated) -> conversation resolved and authorised ->
scanned for personal information (process pool) -> stored (durable, idempotent, ordered)
-> ack to the sender -> rendered per viewer and published to the participants.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo.errors import PyMongoError

from chat_service.actions.conversations import (
    access_conversation,
    participants,
    publish_opened,
)
from chat_service.auth import Identity, Role
from chat_service.errors import (
    ConversationClosed,
    ConversationNotFound,
    DetectionUnavailable,
    NotSupported,
    StoreUnavailable,
)
from chat_service.protocol.commands import MessageSend
from chat_service.protocol.events import MessageAck, MessageNew, MessageOut
from chat_service.protocol.render import render_message
from chat_service.services import Services
from chat_service.storage.conversations import Conversation
from chat_service.storage.messages import message_id_for

logger = logging.getLogger(__name__)


def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class SendResult:
    """The ack for the sender, and the fan-out to run once the ack is on its way."""

    ack: MessageAck
    conversation: Conversation
    publish: Callable[[], None] = _nothing


async def check_send_message(
    services: Services, identity: Identity, command: MessageSend
) -> SendResult:
    """Authorise and resolve the conversation, scan, then store and publish."""
    if command.kind in ("image", "file"):
        raise NotSupported("pictures and files are not supported yet", ref=command.client_id)
    if identity.role not in (Role.CUSTOMER, Role.AGENT):
        raise ConversationNotFound("only customers and agents send messages", ref=command.client_id)
    try:
        conversation, created = await _resolve_conversation(services, identity, command)
        if conversation is None:
            # A resend of a message stored before its conversation was closed.
            existing = await services.store.messages.get(
                message_id_for(identity.role, identity.sub, command.client_id)
            )
            assert existing is not None  # noqa: S101  # _resolve returned None only if it exists
            services.metrics.duplicates.inc()
            return SendResult(
                _ack(command.client_id, existing, duplicate=True),
                await access_conversation(services, identity, existing["conversation_id"]),
            )
    except PyMongoError as exc:
        raise StoreUnavailable(ref=command.client_id) from exc
    if created:
        publish_opened(services, conversation)
    findings: list[dict[str, Any]] = []
    if command.text is not None:
        try:
            findings = await services.scanner.scan(command.text, None)
        except Exception as exc:
            # Never store or pass on a message that was not scanned.
            logger.exception("detection failed")
            raise DetectionUnavailable(ref=command.client_id) from exc
    return await do_send_message(services, identity, conversation, command, findings)


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
            return named, False
    if await _already_stored(services, identity, command):
        existing = await services.store.conversations.list_for_customer(identity.sub, limit=1)
        if existing and existing[0].status == "open":
            return existing[0], False
        return None, False
    return await services.store.conversations.open_for_customer(identity.sub, services.clock())


async def _already_stored(services: Services, identity: Identity, command: MessageSend) -> bool:
    message_id = message_id_for(identity.role, identity.sub, command.client_id)
    return await services.store.messages.get(message_id) is not None


async def do_send_message(
    services: Services,
    identity: Identity,
    conversation: Conversation,
    command: MessageSend,
    findings: list[dict[str, Any]],
) -> SendResult:
    now = services.clock()
    message_id = message_id_for(identity.role, identity.sub, command.client_id)

    def build(seq: int) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "_id": message_id,
            "conversation_id": conversation.id,
            "seq": seq,
            "client_id": command.client_id,
            "sender": {"role": identity.role.value, "id": identity.sub},
            "kind": command.kind,
            "text": command.text,
            "findings": findings,
            "created_at": now,
        }
        if command.location is not None:
            doc["location"] = command.location.model_dump()
        return doc

    try:
        stored = await services.store.messages.insert(conversation.id, build)
    except PyMongoError as exc:
        raise StoreUnavailable(ref=command.client_id) from exc
    if stored.duplicate:
        services.metrics.duplicates.inc()
        return SendResult(_ack(command.client_id, stored.doc, duplicate=True), conversation)
    services.metrics.messages_stored.labels(command.kind, identity.role.value).inc()
    doc = stored.doc
    customer = conversation.customer_id

    def publish() -> None:
        services.fanout.publish(
            participants(conversation),
            lambda viewer: MessageNew(message=render_message(doc, viewer, customer)).frame(),
        )

    return SendResult(_ack(command.client_id, doc, duplicate=False), conversation, publish)


def _ack(client_id: str, doc: dict[str, Any], *, duplicate: bool) -> MessageAck:
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
    conversation = await access_conversation(services, identity, conversation_id)
    page = services.settings.config.limits.history_page
    try:
        docs = await services.store.messages.after(conversation_id, after_seq, page + 1)
    except PyMongoError as exc:
        raise StoreUnavailable() from exc
    has_more = len(docs) > page
    messages = [render_message(d, identity, conversation.customer_id) for d in docs[:page]]
    return conversation, messages, has_more
