# Chinese punctuation is the data here, on purpose.
# ruff: noqa: RUF001
"""A sensitive value disguised with look-alike characters is masked for agents all the same.

Issue 16 item 3, over real sockets, the real store and the real detection pool: the value
is found on the normalised view, its finding covers exactly what the customer typed, the
agent's copy has the whole of it replaced by its placeholder, and consent is asked for.
"""

from __future__ import annotations

import pytest

from tests.helpers.consent import assigned_chat, send_sensitive
from tests.helpers.ws import Client

NBSP_CARD = "4111\u00a01111\u00a01111\u00a01111"
ZWSP_RESIDENT_ID = "1101\u200b0119\u200b9003\u200b0785\u200b15"  # 110101199003078515


@pytest.mark.parametrize(
    ("text", "value", "entity_type", "category"),
    [
        pytest.param(f"card {NBSP_CARD}", NBSP_CARD, "CREDIT_CARD", "financial", id="nbsp-card"),
        pytest.param(
            f"我的身份证号是{ZWSP_RESIDENT_ID}，谢谢",
            ZWSP_RESIDENT_ID,
            "CN_RESIDENT_ID",
            "identity_document",
            id="zero-width-resident-id",
        ),
    ],
)
async def test_when_customer_disguises_a_value_then_agent_gets_it_masked_and_consent_is_asked(
    client: Client, text: str, value: str, entity_type: str, category: str
) -> None:
    start = text.index(value)
    end = start + len(value)
    chat = await assigned_chat(client)

    message_id, request = await send_sensitive(chat.customer, text)

    assert request["categories"] == [category]
    assert request["message_ids"] == [message_id]
    own = await chat.customer.expect_message(id=message_id)
    assert own["text"] == text
    assert [(f["start"], f["end"]) for f in own["findings"] if f["entity_type"] == entity_type] == [
        (start, end)
    ]
    seen = await chat.agent.expect_message(id=message_id)
    placeholder = f"[{entity_type}]"
    assert seen["text"] == text[:start] + placeholder + text[end:]
    assert not any(char.isdigit() for char in seen["text"])
    assert seen["masked"] is True
    assert seen["consent"] == "pending"
    masked = [f for f in seen["findings"] if f["entity_type"] == entity_type]
    assert [(f["start"], f["end"]) for f in masked] == [(start, start + len(placeholder))]
