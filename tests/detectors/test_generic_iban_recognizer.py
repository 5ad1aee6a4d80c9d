"""Table-driven checks of generic_iban_recognizer (IBAN_CODE) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "IBAN_CODE"

CASES = [
    pytest.param("IBAN GB82 WEST 1234 5698 7654 32", ["GB82 WEST 1234 5698 7654 32"], id="grouped"),
    pytest.param("wire to DE89370400440532013000 thanks", ["DE89370400440532013000"], id="compact"),
    pytest.param("账户GB82WEST12345698765432", ["GB82WEST12345698765432"], id="in-chinese"),
    pytest.param("IBAN GB82WEST12345698765433", [], id="bad-check-digits"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_ibans_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
