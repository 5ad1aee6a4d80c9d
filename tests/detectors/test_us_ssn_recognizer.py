"""Table-driven checks of us_ssn_recognizer (US_SSN) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "US_SSN"

CASES = [
    pytest.param("my SSN is 536-22-8726", ["536-22-8726"], id="dashed"),
    pytest.param("social security 536228726", ["536228726"], id="plain-with-context"),
    pytest.param("number 536228726", [], id="plain-without-context"),
    pytest.param("SSN 666-12-3456", [], id="area-666-invalid"),
    pytest.param("SSN 123-00-4567", [], id="group-00-invalid"),
    pytest.param("ref 1536-22-87260", [], id="embedded-in-longer-digits"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_ssns_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
