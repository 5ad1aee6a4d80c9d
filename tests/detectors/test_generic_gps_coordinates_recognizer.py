# Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501
"""Table-driven checks of generic_gps_coordinates_recognizer (GPS_COORDINATES) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "GPS_COORDINATES"

CASES = [
    pytest.param("I'm at 31.230416, 121.473701", ["31.230416, 121.473701"], id="decimal-pair"),
    pytest.param("pin 51.5074N, 0.1278W", ["51.5074N, 0.1278W"], id="hemisphere-suffix"),
    pytest.param(
        "I am at 31.2304, 121.4737 right now", ["31.2304, 121.4737"], id="no-trailing-space"
    ),
    pytest.param(
        "at 31.2304 N, 121.4737 E today", ["31.2304 N, 121.4737 E"], id="spaced-hemispheres"
    ),
    pytest.param("at 40°26'46\"N 79°58'56\"W now", ["40°26'46\"N 79°58'56\"W"], id="dms"),
    pytest.param("prices 12.99, 15.49", [], id="prices-not-coordinates"),
    pytest.param("location 95.1234, 10.5678", [], id="latitude-out-of-range"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_gps_coordinates_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
