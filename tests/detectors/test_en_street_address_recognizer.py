# Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501
"""Table-driven checks of en_street_address_recognizer (STREET_ADDRESS) through the real detector."""

from __future__ import annotations

import pathlib

import pytest

from detectors import Detector
from tests.detectors.assertions import assert_entity_values, context_sentences

ENTITY = "STREET_ADDRESS"
SENTENCES_ZH = (pathlib.Path(__file__).parent / "data" / "context_sentences_zh.txt").read_text(
    encoding="utf-8"
)

CASES = [
    pytest.param(
        "ship to 150 Anthony Plains, South Glendachester, VA 04307 thanks",
        ["150 Anthony Plains, South Glendachester, VA 04307"],
        id="us-full",
    ),
    pytest.param(
        "Flat 39g, Holland Burg, South Joyceborough, SR08 7UX",
        ["Flat 39g, Holland Burg, South Joyceborough, SR08 7UX"],
        id="uk-flat",
    ),
    pytest.param("my address is 221 Baker Street", ["221 Baker Street"], id="street-only"),
    pytest.param("I bought 3 Apple Park mugs", [], id="quantity-not-address"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_english_addresses_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
