"""Which sensitive values of a message a viewer may see (the rule of chat_service/sealing.py
`visible`), apart from rendering: a picture's download (actions/attachment_views.py) and a
message's rendering (actions/views.py) both ask, and neither imports the other for it."""

from __future__ import annotations

from collections.abc import Sequence

from chat_service.auth import Identity, Role
from chat_service.policy.config import ConsentConfig
from chat_service.sealing import Sealed, visible
from chat_service.storage.conversations import Conversation


def visible_secrets(
    sealed: Sequence[Sealed], viewer: Identity, conversation: Conversation, consent: ConsentConfig
) -> list[int]:
    """The indexes of a message's sealed values (`storage.messages.sealed_of`) that
    `viewer` may see: an agent's role allows categories only in a conversation assigned
    to them."""
    owner = viewer.role is Role.CUSTOMER and viewer.sub == conversation.customer_id
    handling = viewer.role is not Role.AGENT or conversation.agent_id == viewer.sub
    allowed = consent.visible_to(viewer.role.value) if handling else frozenset()
    return visible(sealed, owner=owner, allowed=allowed)
