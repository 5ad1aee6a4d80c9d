"""Table-driven checks of generic_health_recognizer (HEALTH) through the real detector."""

from __future__ import annotations

import pathlib

import pytest

from detectors import Detector
from tests.detectors.assertions import assert_entity_values, context_sentences

ENTITY = "HEALTH"
SENTENCES_ZH = (pathlib.Path(__file__).parent / "data" / "context_sentences_zh.txt").read_text(
    encoding="utf-8"
)

CASES = [
    pytest.param("I have diabetes", ["diabetes"], id="condition"),
    pytest.param("I take metformin daily", ["metformin"], id="medication"),
    pytest.param("I'm allergic to peanuts", ["allergic to peanuts"], id="allergy-en"),
    pytest.param("我有高血压", ["高血压"], id="condition-zh"),
    pytest.param("我对花生过敏", ["对花生过敏"], id="allergy-zh"),
    pytest.param("is the blender dishwasher safe", [], id="no-health"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_health_terms_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
