"""`typing`: who may say they are typing in a conversation, and who sees it.

A participant who may read the conversation (actions/access.py) and, for an agent, has
joined it: browsing the queue is reading, not taking part. The other participants see it
(actions/delivery.notify_typing); nothing is stored.
"""

from __future__ import annotations

from chat_service.actions import delivery
from chat_service.actions.access import access_conversation
from chat_service.auth import Identity, Role
from chat_service.errors import ConversationNotFound
from chat_service.fanout import Connection
from chat_service.services import Services


async def do_typing(
    services: Services, identity: Identity, conversation_id: str, conn: Connection
) -> None:
    """`identity` is typing in `conversation_id` on `conn` (which does not get it back)."""
    conversation = await access_conversation(services, identity, conversation_id)
    if identity.role is Role.AGENT and conversation.agent_id != identity.sub:
        raise ConversationNotFound()
    await delivery.notify_typing(services, conversation, identity, conn)
