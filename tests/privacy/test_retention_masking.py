"""Connection data masked by retention through the renderer: every later offset follows."""

from __future__ import annotations

from typing import Any

from chat_service.privacy.retention import mask_connection_data

TEXT = "ip 10.0.0.1 dev 356938035643809 card 4111111111111111 end"


def span(entity_type: str, category: str, value: str) -> dict[str, Any]:
    start = TEXT.index(value)
    return {
        "entity_type": entity_type,
        "start": start,
        "end": start + len(value),
        "score": 0.9,
        "category": category,
        "sensitive": category == "financial",
    }


def test_when_two_connection_spans_are_masked_then_each_later_offset_moves_by_both() -> None:
    findings = [
        span("IP_ADDRESS", "device", "10.0.0.1"),
        span("DEVICE_ID", "device", "356938035643809"),
        span("CREDIT_CARD", "financial", "4111111111111111"),
        span("WORD", "other", "end"),
    ]
    card = findings[2]
    secrets = [{"start": card["start"], "end": card["end"], "state": "kept"}]
    text, moved, moved_secrets = mask_connection_data(TEXT, findings, secrets)
    assert text == "ip [IP_ADDRESS] dev [DEVICE_ID] card 4111111111111111 end"
    assert [text[f["start"] : f["end"]] for f in moved] == [
        "[IP_ADDRESS]",
        "[DEVICE_ID]",
        "4111111111111111",
        "end",
    ]
    assert text[moved_secrets[0]["start"] : moved_secrets[0]["end"]] == "4111111111111111"
    assert moved_secrets[0]["state"] == "kept"
    assert [{k: v for k, v in f.items() if k not in ("start", "end")} for f in moved] == [
        {k: v for k, v in f.items() if k not in ("start", "end")} for f in findings
    ]
