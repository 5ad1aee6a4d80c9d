"""Conversations: join, close, listing (who may read one: actions/access.py; who hears of
it: actions/delivery.py)."""

from __future__ import annotations

from chat_service.actions import delivery, teamwork
from chat_service.actions.access import access_conversation
from chat_service.actions.availability import check_may_take
from chat_service.auth import Identity, Role
from chat_service.errors import AlreadyAssigned, ConversationClosed, ConversationNotFound
from chat_service.services import Services
from chat_service.storage.conversations import Conversation


async def do_join(services: Services, identity: Identity, conversation_id: str) -> Conversation:
    if identity.role is not Role.AGENT:
        raise ConversationNotFound()  # supervisors watch; only an agent takes a conversation
    current = await access_conversation(services, identity, conversation_id)
    if current.status != "open":
        raise ConversationClosed()
    await check_may_take(services, identity)  # agent speed: an away agent takes none
    conversation = await services.store.conversations.assign(conversation_id, identity.sub)
    if conversation is None:
        raise AlreadyAssigned()
    await delivery.notify_assigned(services, conversation, identity.sub)
    return conversation


async def do_close(services: Services, identity: Identity, conversation_id: str) -> Conversation:
    current = await access_conversation(services, identity, conversation_id)
    if identity.role is Role.AGENT and current.agent_id != identity.sub:
        raise ConversationNotFound()  # an agent closes only conversations they joined
    if current.status != "open":
        raise ConversationClosed()
    async with services.store.messages.lock(conversation_id):  # no message lands after this
        conversation = await services.store.conversations.close(conversation_id, services.clock())
    if conversation is None:
        raise ConversationClosed()
    services.store.messages.forget(conversation_id)
    # Handling times (docs/teamwork.md) are stored before anyone is told of the close, so
    # whoever sees it closed finds its outcome in the supervisor's view.
    await teamwork.record_outcome(services, conversation)
    await delivery.notify_closed(services, current, conversation, identity)
    return conversation


async def list_conversations(services: Services, identity: Identity) -> list[Conversation]:
    if identity.role is Role.SUPERVISOR:
        return await services.store.conversations.list_all(status="open")
    if identity.role is Role.AGENT:
        return await services.store.conversations.list_for_agent(identity.sub)
    return []
