"""Table-driven checks of generic_device_id_recognizer (DEVICE_ID) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "DEVICE_ID"

CASES = [
    pytest.param("IMEI 490154203237518", ["490154203237518"], id="imei-luhn-with-context"),
    pytest.param("IMEI 490154203237519", [], id="imei-bad-luhn"),
    pytest.param("number 490154203237518", [], id="imei-without-context"),
    pytest.param("MAC 00:1A:2B:3C:4D:5E", ["00:1A:2B:3C:4D:5E"], id="mac-colons"),
    pytest.param("mac address 00-1a-2b-3c-4d-5e", ["00-1a-2b-3c-4d-5e"], id="mac-dashes"),
    pytest.param("IMEI 4901542032375181", [], id="embedded-in-longer-digits"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_device_ids_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
