"""Table-driven checks of generic_phone_recognizer (PHONE_NUMBER) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "PHONE_NUMBER"

CASES = [
    pytest.param("Call me on +1-683-268-5957", ["+1-683-268-5957"], id="nanp-international"),
    pytest.param("my number is (858)751-7812", ["(858)751-7812"], id="nanp-parenthesised"),
    pytest.param(
        "reach me at 207.504.9996x2283", ["207.504.9996x2283"], id="dotted-with-extension"
    ),
    pytest.param("phone +44(0)131 4960707", ["+44(0)131 4960707"], id="uk-international"),
    pytest.param("tel (020) 74960622", ["(020) 74960622"], id="uk-national"),
    pytest.param("WhatsApp +49 30 901820", ["+49 30 901820"], id="germany"),
    pytest.param("It weighs 1.5 kg and costs 12.99", [], id="numbers-not-phones"),
    pytest.param("phone +1 (234) 56", [], id="too-short"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_international_phone_numbers_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
