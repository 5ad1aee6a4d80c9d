"""Delivery: every event the actions send to sockets is built and published here.

An action decides and stores; then it calls one `notify_*` / `publish_*` function of this
module, which builds the event (protocol/events.py), chooses its audience and hands it to
`services.fanout` (chat_service/fanout.py). No action imports another action to publish,
and nothing here writes to the store: the only reads are those of rendering a message for
each viewer (actions/views.py, with its audit of sensitive reads).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, cast

import bson
from bson.codec_options import CodecOptions

from chat_service.actions.views import view_message
from chat_service.auth import Identity, Role
from chat_service.fanout import Audience, Connection, Description, Portable, Render, constant
from chat_service.json_types import JsonObject
from chat_service.protocol.events import (
    AgentAvailabilityOut,
    ConsentRecorded,
    ConsentRequest,
    ConversationAssigned,
    ConversationClosedOut,
    ConversationOpened,
    ConversationOut,
    ConversationUpdated,
    MessageNew,
    MessageUpdated,
    Sender,
    TypingOut,
)
from chat_service.services import Services
from chat_service.storage.availability import AvailabilityDoc
from chat_service.storage.consents import ConsentRequestDoc
from chat_service.storage.conversations import Conversation
from chat_service.storage.messages import MessageDoc


def participants(conversation: Conversation) -> Audience:
    """Who receives a conversation's events: its customer, its agent or the whole queue."""
    identities = {Identity(Role.CUSTOMER, conversation.customer_id)}
    if conversation.agent_id is not None:
        identities.add(Identity(Role.AGENT, conversation.agent_id))
    return Audience(identities=frozenset(identities), all_agents=conversation.agent_id is None)


def customer_audience(customer_id: str) -> Audience:
    return Audience(identities=frozenset({Identity(Role.CUSTOMER, customer_id)}), supervisors=False)


def conversation_out(conversation: Conversation) -> ConversationOut:
    return ConversationOut.model_validate(conversation.to_public())


async def publish_opened(services: Services, conversation: Conversation) -> None:
    """A new conversation is offered to the queue: every agent but those away, and the
    supervisors (on every instance: each reads who is away from the store)."""
    frame = ConversationOpened(conversation=conversation_out(conversation)).frame()
    render = opened_render(services, {"frame": frame})
    await services.fanout.publish(
        Audience(all_agents=True), Portable(OPENED, lambda: {"frame": frame}, render)
    )


OPENED = "opened"  # the kind of a new conversation's offer crossing instances


def opened_render(services: Services, data: Description) -> Render:
    """The offer of a new conversation: the same frame for every viewer but agents who are
    away (docs/agent-speed.md), read once per event from the store."""
    if not isinstance(data, dict):
        raise ValueError("an offer carries its frame as JSON")
    frame = cast(JsonObject, data["frame"])
    away: frozenset[str] | None = None

    async def render(viewer: Identity) -> JsonObject | None:
        nonlocal away
        if viewer.role is not Role.AGENT:
            return frame
        if away is None:
            away = await services.store.availability.away()
        return None if viewer.sub in away else frame

    return render


async def notify_availability(services: Services, doc: AvailabilityDoc) -> None:
    """An agent went online or away: the supervisors and the agent's own sockets learn it."""
    frame = AgentAvailabilityOut(
        agent_id=doc["_id"], state=doc["state"], changed_at=doc["changed_at"].isoformat()
    ).frame()
    audience = Audience(identities=frozenset({Identity(Role.AGENT, doc["_id"])}))
    await services.fanout.publish(audience, constant(frame))


async def publish_updated(services: Services, conversation: Conversation) -> None:
    """Tell the agents who see `conversation` (its agent, or the queue) what it is now."""
    frame = ConversationUpdated(conversation=conversation_out(conversation)).frame()
    agent = conversation.agent_id
    audience = Audience(
        identities=frozenset({Identity(Role.AGENT, agent)}) if agent else frozenset(),
        all_agents=agent is None,
    )
    await services.fanout.publish(audience, constant(frame))


async def notify_assigned(services: Services, conversation: Conversation, agent_id: str) -> None:
    """`conversation` was just taken by `agent_id`: its customer and every agent learn it."""
    frame = ConversationAssigned(conversation_id=conversation.id, agent_id=agent_id).frame()
    audience = Audience(
        identities=frozenset({Identity(Role.CUSTOMER, conversation.customer_id)}),
        all_agents=True,
    )
    await services.fanout.publish(audience, constant(frame))


async def notify_closed(
    services: Services, before: Conversation, conversation: Conversation, closed_by: Identity
) -> None:
    """`conversation` was closed by `closed_by`: whoever took part in it while it was open
    (`before`) and every agent (it leaves their queue) learn it."""
    frame = ConversationClosedOut(
        conversation_id=conversation.id, closed_by=Sender(role=closed_by.role, id=closed_by.sub)
    ).frame()
    audience = Audience(identities=participants(before).identities, all_agents=True)
    await services.fanout.publish(audience, constant(frame))


async def notify_typing(
    services: Services, conversation: Conversation, typist: Identity, exclude: Connection
) -> None:
    """`typist` is typing: the conversation's other participants see it (not supervisors,
    not the queue, not the typist's own socket)."""
    frame = TypingOut(
        conversation_id=conversation.id,
        sender=Sender(role=typist.role, id=typist.sub),
    ).frame()
    base = participants(conversation)
    audience = Audience(
        identities=base.identities - {typist},
        all_agents=False,
        supervisors=False,
        exclude=exclude,
    )
    await services.fanout.publish(audience, constant(frame))


async def publish_message(
    services: Services,
    conversation: Conversation,
    doc: MessageDoc,
    event: type[MessageNew] | type[MessageUpdated],
    plaintexts: Mapping[int, str] | None = None,
) -> None:
    """Fan a stored message out to the participants, rendered for each viewer
    (`plaintexts`: values of `doc["secrets"]` already in clear here, by index)."""

    async def render(viewer: Identity) -> JsonObject:
        message = await view_message(
            services, doc, viewer, conversation, "live delivery", plaintexts
        )
        return event(message=message).frame()

    def describe() -> bytes:
        # As stored (sealed values encrypted), with the conversation as rendered here: the
        # receiving instance renders without reading the store; no plaintext crosses. BSON
        # bytes as they are (fanout_redis.py puts them after the event's JSON head), not
        # base64 inside JSON: encoding and decoding that cost each crossing more than the
        # BSON itself.
        return bson.encode(
            {
                "updated": event is MessageUpdated,
                "message": doc,
                "conversation": _conversation_fields(conversation),
            }
        )

    await services.fanout.publish(participants(conversation), Portable(MESSAGE, describe, render))


MESSAGE = "message"  # the kind of a message event crossing instances (fanout_redis.py)


def _conversation_fields(conversation: Conversation) -> dict[str, object]:
    """The conversation's fields for BSON, as `Conversation(**fields)` takes them back: a
    shallow copy (its values are strings, dates, a tuple and one flat mapping), not
    `dataclasses.asdict`'s recursive deep copy (several times dearer, for every message
    published)."""
    fields = {f.name: getattr(conversation, f.name) for f in dataclasses.fields(conversation)}
    fields["customer_profile"] = dict(conversation.customer_profile)
    return fields


def message_render(services: Services, data: Description) -> Render:
    """The render of a message event another instance published (`publish_message`'s BSON):
    each viewer connected here sees it exactly as `publish_message` renders it there
    (values they may see are decrypted here, and their reading audited here)."""
    if not isinstance(data, bytes):
        raise ValueError("a message event carries its message as BSON")
    stored = bson.decode(data, codec_options=_TZ_AWARE)
    event = MessageUpdated if stored["updated"] is True else MessageNew
    doc = cast(MessageDoc, stored["message"])
    conversation = Conversation(**stored["conversation"])

    async def render(viewer: Identity) -> JsonObject | None:
        message = await view_message(services, doc, viewer, conversation, "live delivery")
        return event(message=message).frame()

    return render


_TZ_AWARE: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)  # as the store reads


def consent_request_frame(services: Services, request: ConsentRequestDoc) -> JsonObject:
    config = services.settings.consent
    categories: list[str] = request["categories"]
    guardian: bool = request["guardian_required"]
    message_ids: list[str] = request["message_ids"]
    return ConsentRequest(
        request_id=request["_id"],
        message_id=message_ids[0],
        message_ids=message_ids,
        categories=categories,
        purpose=request["purpose"],
        notice=config.notice(
            request["purpose"], categories, request["language"], guardian=guardian
        ),
        guardian_required=guardian,
        language=request["language"],
        expires_at=request["expires_at"].isoformat(),
    ).frame()


async def notify_consent_request(services: Services, request: ConsentRequestDoc) -> None:
    """A new consent request: its customer's sockets get `consent.request`."""
    frame = consent_request_frame(services, request)
    await services.fanout.publish(customer_audience(request["customer_id"]), constant(frame))


async def notify_consent_decided(
    services: Services,
    customer_id: str,
    request_id: str,
    purpose: str,
    categories: list[str],
    *,
    granted: bool,
    reason: str,
) -> None:
    """A request's decision was carried out: its customer gets `consent.recorded`, saying
    what the grant actually lets the agent see (config/consent.toml [visibility])."""
    hidden = [c for c in categories if c not in services.settings.consent.visible_to("agent")]
    frame = ConsentRecorded(
        request_id=request_id,
        granted=granted,
        categories=categories,
        purpose=purpose,
        reason=reason,
        agent_sees=not hidden if granted else None,
        hidden_from_agent=hidden if granted else [],
    ).frame()
    await services.fanout.publish(customer_audience(customer_id), constant(frame))


async def notify_consent_withdrawn(
    services: Services, customer_id: str, purpose: str, categories: list[str]
) -> None:
    """The customer withdrew consent for `categories`: their sockets get `consent.recorded`."""
    frame = ConsentRecorded(
        request_id=None,
        granted=False,
        categories=categories,
        purpose=purpose,
        reason="withdrawn",
    ).frame()
    await services.fanout.publish(customer_audience(customer_id), constant(frame))
