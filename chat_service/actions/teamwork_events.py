"""Delivery of teamwork events (as actions/delivery.py, kept apart for this area).

Every event here is a constant frame (`fanout.constant`), so it crosses instances as is.
Staff events go to staff audiences only: a note, a transfer's names, a rating never reach
a customer's socket; the customer of a transferred conversation gets a neutral notice.
"""

from __future__ import annotations

from chat_service.actions.delivery import conversation_out
from chat_service.auth import Identity, Role
from chat_service.fanout import Audience, constant
from chat_service.protocol.events import (
    ConversationNotice,
    ConversationRated,
    ConversationTransferred,
    NoteNew,
    NoteOut,
    Sender,
)
from chat_service.services import Services
from chat_service.storage.conversations import Conversation
from chat_service.storage.teamwork import OutcomeDoc


def staff_of(conversation: Conversation) -> Audience:
    """The staff who see a conversation: its agent (or every agent while it is queued) and
    the supervisors. Never its customer."""
    agent = conversation.agent_id
    return Audience(
        identities=frozenset({Identity(Role.AGENT, agent)}) if agent else frozenset(),
        all_agents=agent is None,
        supervisors=True,
    )


async def notify_transferred(
    services: Services, before: Conversation, after: Conversation, by: Identity
) -> None:
    """Every agent and supervisor learns the move (queues change, the receiving agent gets
    the conversation live); the customer gets a neutral notice."""
    frame = ConversationTransferred(
        conversation=conversation_out(after),
        from_agent_id=before.agent_id,
        to_agent_id=after.agent_id,
        by=Sender(role=by.role, id=by.sub),
    ).frame()
    await services.fanout.publish(Audience(all_agents=True), constant(frame))
    notice = ConversationNotice(conversation_id=after.id, notice="transferred").frame()
    customer = Audience(
        identities=frozenset({Identity(Role.CUSTOMER, after.customer_id)}), supervisors=False
    )
    await services.fanout.publish(customer, constant(notice))


async def notify_note(services: Services, conversation: Conversation, note: NoteOut) -> None:
    await services.fanout.publish(staff_of(conversation), constant(NoteNew(note=note).frame()))


async def notify_rated(services: Services, outcome: OutcomeDoc, score: int) -> None:
    frame = ConversationRated(
        conversation_id=outcome["_id"], agent_id=outcome["agent_id"], score=score
    ).frame()
    await services.fanout.publish(Audience(supervisors=True), constant(frame))
