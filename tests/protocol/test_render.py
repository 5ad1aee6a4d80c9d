"""Masking: sensitive spans become [TYPE] and every finding moves with the text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chat_service.protocol.events import FindingOut
from chat_service.protocol.render import mask_sensitive, render_message, unmask


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
    masked, moved, _ = mask_sensitive(text, findings)
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
    masked, moved, masks = mask_sensitive(text, findings)
    assert masked == "card [CREDIT_CARD] mail a@b.co"
    assert [(m.original_start, m.original_end, m.start, m.end) for m in masks] == [(5, 21, 5, 18)]
    email = moved[1]
    assert masked[email.start : email.end] == "a@b.co"


def test_when_values_are_revealed_then_unmask_restores_text_and_offsets() -> None:
    text = "id 110101199003078515 and card 4111111111111111 at a@b.co"
    findings = [
        finding("CN_RESIDENT_ID", 3, 21, sensitive=True),
        finding("CREDIT_CARD", 31, 47, sensitive=True),
        finding("EMAIL_ADDRESS", 51, 57, sensitive=False),
    ]
    masked, moved, masks = mask_sensitive(text, findings)
    secrets: list[dict[str, Any]] = [{"start": m.start, "end": m.end} for m in masks]
    values = {0: text[3:21], 1: text[31:47]}
    assert unmask(masked, moved, secrets, values) == (text, findings)
    partial, shifted = unmask(masked, moved, secrets, {1: values[1]})
    assert partial == "id [CN_RESIDENT_ID] and card 4111111111111111 at a@b.co"
    for f in shifted:
        shown = partial[f.start : f.end]
        assert shown in ("[CN_RESIDENT_ID]", "4111111111111111", "a@b.co")


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


def test_render_shows_exactly_the_revealed_values() -> None:
    original = "id 110101199003078515"
    masked, moved, masks = mask_sensitive(
        original, [finding("CN_RESIDENT_ID", 3, 21, sensitive=True)]
    )
    doc = stored(masked, [f.model_dump() for f in moved])
    doc["secrets"] = [{"start": masks[0].start, "end": masks[0].end, "value": b"x"}]
    shown = render_message(doc, {0: "110101199003078515"}, to_sender=True)
    hidden = render_message(doc, {}, to_sender=False)
    assert shown.text == original and shown.masked is False
    assert hidden.text == "id [CN_RESIDENT_ID]" and hidden.masked is True
    assert "110101199003078515" not in hidden.model_dump_json()
    assert shown.client_id == "x" and hidden.client_id is None  # the key is the sender's
