"""Messages shaped exactly as the server stores them (actions/messages.py builds them), for
tests and benchmarks that write to a store directly."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from bson import Binary

from chat_service.actions.messages import message_document
from chat_service.auth import Identity, Role
from chat_service.protocol.events import FindingOut
from chat_service.storage.conversations import Conversation
from chat_service.storage.messages import conv_seq

CUSTOMER = "bench-customer"
PLAIN_TEXT = "My parcel for order 20231104-7781 was due last week and is still late."
MASKED_CARD_TEXT = "My card [CREDIT_CARD] was charged twice for order 20231104-7781."
# A random-algorithm ciphertext of a card number: subtype 6, key id, IV, blocks, MAC.
CIPHERTEXT_BYTES = 113


def stored_message(
    conversation_id: str, seq: int, *, sensitive: bool, text: str = PLAIN_TEXT
) -> dict[str, Any]:
    """A customer's message as stored: with `sensitive`, a card number masked in the text,
    its finding, and its value encrypted in `secrets` (pending consent)."""
    now = datetime.now(UTC)
    conversation = Conversation(conversation_id, CUSTOMER, "open", "agent-1", now, None)
    findings: list[FindingOut] = []
    secrets: list[dict[str, Any]] = []
    if sensitive:
        text = MASKED_CARD_TEXT
        findings = [
            FindingOut(
                entity_type="CREDIT_CARD",
                start=8,
                end=21,
                score=1.0,
                category="financial",
                sensitive=True,
            )
        ]
        secrets = [
            {
                "start": 8,
                "end": 21,
                "entity_types": ["CREDIT_CARD"],
                "categories": ["financial"],
                "value": Binary(os.urandom(CIPHERTEXT_BYTES), 6),
                "state": "pending",
            }
        ]
    document = message_document(
        message_id=f"m-{conversation_id}-{seq}",
        conversation=conversation,
        seq=seq,
        client_id=f"c-{seq}",
        sender=Identity(Role.CUSTOMER, CUSTOMER),
        kind="text",
        text=text,
        findings=findings,
        secrets=secrets,
        consent="pending" if sensitive else None,
        created_at=now,
    )
    # What MessageStore.insert adds.
    return document | {"conv_seq": conv_seq(conversation_id, seq), "secrets_version": 0}
