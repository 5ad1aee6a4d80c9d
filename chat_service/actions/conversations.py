"""Conversations: access, join, close, listing, and who takes part in one."""

from __future__ import annotations

from chat_service.auth import Identity, Role
from chat_service.errors import AlreadyAssigned, ConversationClosed, ConversationNotFound
from chat_service.protocol.events import (
    ConversationAssigned,
    ConversationClosedOut,
    ConversationOpened,
    ConversationOut,
    ConversationUpdated,
    Sender,
)
from chat_service.services import Services
from chat_service.storage.conversations import Conversation
from chat_service.ws.connections import Audience, constant


def may_read(identity: Identity, conversation: Conversation) -> bool:
    """Customers: their own. Agents: the queue and their own. Supervisors: all."""
    match identity.role:
        case Role.CUSTOMER:
            return conversation.customer_id == identity.sub
        case Role.AGENT:
            if conversation.agent_id == identity.sub:
                return True
            return conversation.status == "open" and conversation.agent_id is None
        case Role.SUPERVISOR:
            return True
        case _:
            return False


async def access_conversation(
    services: Services, identity: Identity, conversation_id: str
) -> Conversation:
    conversation = await services.store.conversations.get(conversation_id)
    if conversation is None or not may_read(identity, conversation):
        # The same answer whether it does not exist or is someone else's: no probing.
        raise ConversationNotFound()
    return conversation


def participants(conversation: Conversation) -> Audience:
    """Who receives a conversation's events: its customer, its agent or the whole queue."""
    identities = {Identity(Role.CUSTOMER, conversation.customer_id)}
    if conversation.agent_id is not None:
        identities.add(Identity(Role.AGENT, conversation.agent_id))
    return Audience(identities=frozenset(identities), all_agents=conversation.agent_id is None)


def conversation_out(conversation: Conversation) -> ConversationOut:
    return ConversationOut.model_validate(conversation.to_public())


async def publish_opened(services: Services, conversation: Conversation) -> None:
    frame = ConversationOpened(conversation=conversation_out(conversation)).frame()
    await services.fanout.publish(Audience(all_agents=True), constant(frame))


async def publish_updated(services: Services, conversation: Conversation) -> None:
    """Tell the agents who see `conversation` (its agent, or the queue) what it is now."""
    frame = ConversationUpdated(conversation=conversation_out(conversation)).frame()
    agent = conversation.agent_id
    audience = Audience(
        identities=frozenset({Identity(Role.AGENT, agent)}) if agent else frozenset(),
        all_agents=agent is None,
    )
    await services.fanout.publish(audience, constant(frame))


async def do_join(services: Services, identity: Identity, conversation_id: str) -> Conversation:
    if identity.role is not Role.AGENT:
        raise ConversationNotFound()  # supervisors watch; only an agent takes a conversation
    current = await access_conversation(services, identity, conversation_id)
    if current.status != "open":
        raise ConversationClosed()
    conversation = await services.store.conversations.assign(conversation_id, identity.sub)
    if conversation is None:
        raise AlreadyAssigned()
    frame = ConversationAssigned(conversation_id=conversation.id, agent_id=identity.sub).frame()
    audience = Audience(
        identities=frozenset({Identity(Role.CUSTOMER, conversation.customer_id)}),
        all_agents=True,
    )
    await services.fanout.publish(audience, constant(frame))
    return conversation


async def do_close(services: Services, identity: Identity, conversation_id: str) -> Conversation:
    current = await access_conversation(services, identity, conversation_id)
    if identity.role is Role.AGENT and current.agent_id != identity.sub:
        raise ConversationNotFound()  # an agent closes only conversations they joined
    if current.status != "open":
        raise ConversationClosed()
    before = participants(current)
    async with services.store.messages.lock(conversation_id):  # no message lands after this
        conversation = await services.store.conversations.close(conversation_id, services.clock())
    if conversation is None:
        raise ConversationClosed()
    services.store.messages.forget(conversation_id)
    frame = ConversationClosedOut(
        conversation_id=conversation.id, closed_by=Sender(role=identity.role, id=identity.sub)
    ).frame()
    audience = Audience(identities=before.identities, all_agents=True)
    await services.fanout.publish(audience, constant(frame))
    return conversation


async def list_conversations(services: Services, identity: Identity) -> list[Conversation]:
    if identity.role is Role.SUPERVISOR:
        return await services.store.conversations.list_all(status="open")
    if identity.role is Role.AGENT:
        return await services.store.conversations.list_for_agent(identity.sub)
    return []
