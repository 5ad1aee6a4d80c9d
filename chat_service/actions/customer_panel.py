"""The customer panel (issue 20, items 2 and 3; docs/inbox.md): who the customer of a
conversation is, what they consented to and when, their open privacy requests, and every
conversation they have had, oldest first, each saying whether the viewer may read it.

Authorised through the conversation (actions/access.py): whoever may read the conversation
sees its customer's panel. The earlier conversations are listed, not their messages: the
viewer reads those through the history endpoint, which applies the usual rules (an agent
reads the queue and their own; a supervisor all)."""

from __future__ import annotations

from dataclasses import dataclass

from chat_service.actions.access import access_conversation, may_read
from chat_service.auth import Identity, Role
from chat_service.errors import ConversationNotFound
from chat_service.json_types import JsonObject
from chat_service.services import Services
from chat_service.storage.conversations import Conversation

EARLIER_MAX = 100  # conversations listed in the panel (the customer's newest ones)


@dataclass(frozen=True, slots=True)
class Panel:
    conversation: Conversation
    consents: list[JsonObject]
    privacy_requests: list[JsonObject]
    conversations: list[tuple[Conversation, bool]]  # (conversation, the viewer may read it)


async def customer_panel(services: Services, identity: Identity, conversation_id: str) -> Panel:
    if identity.role not in (Role.AGENT, Role.SUPERVISOR):
        raise ConversationNotFound()
    conversation = await access_conversation(services, identity, conversation_id)
    customer_id = conversation.customer_id
    store = services.store
    consents: list[JsonObject] = [
        {
            "purpose": entry["purpose"],
            "categories": list(entry["categories"]),
            "decision": entry["decision"],
            "at": entry["at"].isoformat(),
        }
        for entry in await store.consents.history(customer_id)
    ]
    privacy_requests: list[JsonObject] = [
        {
            "id": request["_id"],
            "kind": "deletion",
            "status": request["status"],
            "received_at": request["received_at"].isoformat(),
            "due_at": request["due_at"].isoformat(),
        }
        for request in await store.deletion_requests.for_customer([customer_id])
        if request["status"] != "completed"
    ]
    earlier = await store.conversations.list_for_customer(customer_id, EARLIER_MAX)
    earlier.sort(key=lambda c: c.created_at)
    return Panel(
        conversation,
        consents,
        privacy_requests,
        [(c, may_read(identity, c)) for c in earlier],
    )
