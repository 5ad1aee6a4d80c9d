# Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501
"""Table-driven checks of en_street_address_recognizer (STREET_ADDRESS) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "STREET_ADDRESS"

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
    # Issue 15, presidio dev: US forces' mail, a ship's name instead of a street, any case.
    pytest.param(
        "The restaurant is located at USNS Saibara\nFPO AP 12428. It serves great food.",
        ["USNS Saibara\nFPO AP 12428"],
        id="military-ship",
    ),
    pytest.param(
        "may i request to have the statement sent to uscgc aslakhanov\nfpo ae 44941?",
        ["uscgc aslakhanov\nfpo ae 44941"],
        id="military-ship-lower-case",
    ),
    pytest.param(
        "PSC 1234, Box 5678\nAPO AA 34021", ["PSC 1234, Box 5678\nAPO AA 34021"], id="military-psc"
    ),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_english_addresses_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
