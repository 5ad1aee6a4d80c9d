"""Which sensitive values of a message a viewer may see (the rule of actions/views.py),
apart from rendering: a picture's download (actions/attachment_views.py) and a message's
rendering (actions/views.py) both ask, and neither imports the other for it."""

from __future__ import annotations

from typing import Any

from chat_service.auth import Identity, Role
from chat_service.policy.config import ConsentConfig
from chat_service.storage.conversations import Conversation


def visible_secrets(
    doc: dict[str, Any], viewer: Identity, conversation: Conversation, consent: ConsentConfig
) -> list[int]:
    owner = viewer.role is Role.CUSTOMER and viewer.sub == conversation.customer_id
    handling = viewer.role is not Role.AGENT or conversation.agent_id == viewer.sub
    allowed = consent.visible_to(viewer.role.value) if handling else frozenset()
    indexes = []
    for i, secret in enumerate(doc.get("secrets", [])):
        if secret.get("value") is None:
            continue
        if owner or (secret.get("state") == "kept" and set(secret["categories"]) <= allowed):
            indexes.append(i)
    return indexes
