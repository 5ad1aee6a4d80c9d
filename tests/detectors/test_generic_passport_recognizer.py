# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""Table-driven checks of generic_passport_recognizer (PASSPORT) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "PASSPORT"

CASES = [
    pytest.param("passport number E12345678", ["E12345678"], id="cn-with-english-context"),
    pytest.param("my passport is 475771046", ["475771046"], id="us-nine-digits-with-context"),
    pytest.param("UK passport: AB1234567", ["AB1234567"], id="letters-digits-with-context"),
    pytest.param("product code E12345678", [], id="no-context"),
    pytest.param("护照号Ｅ１２３４５６７８", ["Ｅ１２３４５６７８"], id="full-width"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_passports_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
