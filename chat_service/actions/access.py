"""Who may read a conversation: the check every action (and every rendering of one of its
messages or attachments) starts from. Below the modules that publish, so each of them can
ask without importing the others."""

from __future__ import annotations

from chat_service.auth import Identity, Role
from chat_service.errors import ConversationNotFound
from chat_service.services import Services
from chat_service.storage.conversations import Conversation


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
