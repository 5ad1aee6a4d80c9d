"""Masking: sensitive spans become [TYPE] and every finding moves with the text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chat_service.auth import Identity, Role
from chat_service.protocol.events import FindingOut
from chat_service.protocol.render import mask_sensitive, render_message


def finding(entity: str, start: int, end: int, *, sensitive: bool) -> FindingOut:
    return FindingOut(
        entity_type=entity, start=start, end=end, score=0.9, category="x", sensitive=sensitive
    )


CASES: list[tuple[str, list[FindingOut], str]] = [
    (
        "id 110101199003078515 ok",
        [finding("CN_RESIDENT_ID", 3, 21, sensitive=True)],
        "id [CN_RESIDENT_ID] ok",
    ),
    ("no sensitive here", [finding("PERSON", 0, 2, sensitive=False)], "no sensitive here"),
    (
        "a 1234 b 5678 c",
        [
            finding("CREDIT_CARD", 2, 6, sensitive=True),
            finding("BANK_ACCOUNT", 9, 13, sensitive=True),
        ],
        "a [CREDIT_CARD] b [BANK_ACCOUNT] c",
    ),
    (
        "xx 12345678 yy",
        [
            finding("CREDIT_CARD", 3, 11, sensitive=True),
            finding("BANK_ACCOUNT", 5, 11, sensitive=True),
        ],
        "xx [CREDIT_CARD] yy",
    ),
]


@pytest.mark.parametrize(("text", "findings", "expected"), CASES)
def test_when_masked_then_text_and_offsets_agree(
    text: str, findings: list[FindingOut], expected: str
) -> None:
    masked, moved = mask_sensitive(text, findings)
    assert masked == expected
    for f in moved:
        if f.sensitive:
            assert masked[f.start : f.end].startswith("[")
            assert masked[f.start : f.end].endswith("]")


def test_when_a_plain_finding_follows_a_mask_then_it_still_points_at_its_value() -> None:
    text = "card 4111111111111111 mail a@b.co"
    findings = [
        finding("CREDIT_CARD", 5, 21, sensitive=True),
        finding("EMAIL_ADDRESS", 27, 33, sensitive=False),
    ]
    masked, moved = mask_sensitive(text, findings)
    assert masked == "card [CREDIT_CARD] mail a@b.co"
    email = moved[1]
    assert masked[email.start : email.end] == "a@b.co"


def stored(text: str, findings: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "_id": "m_1",
        "conversation_id": "c_1",
        "seq": 1,
        "client_id": "x",
        "sender": {"role": "customer", "id": "alice"},
        "kind": "text",
        "text": text,
        "findings": findings,
        "created_at": datetime(2026, 11, 26, tzinfo=UTC),
    }


def test_the_owner_sees_everything_and_an_agent_sees_masks() -> None:
    doc = stored(
        "id 110101199003078515", [finding("CN_RESIDENT_ID", 3, 21, sensitive=True).model_dump()]
    )
    owner = render_message(doc, Identity(Role.CUSTOMER, "alice"), "alice")
    agent = render_message(doc, Identity(Role.AGENT, "agent-1"), "alice")
    other = render_message(doc, Identity(Role.CUSTOMER, "mallory"), "alice")
    assert owner.text == "id 110101199003078515" and owner.masked is False
    assert agent.text == "id [CN_RESIDENT_ID]" and agent.masked is True
    assert "110101199003078515" not in agent.model_dump_json()
    assert other.text == "id [CN_RESIDENT_ID]"
