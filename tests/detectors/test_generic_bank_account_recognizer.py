# Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501
"""Table-driven checks of generic_bank_account_recognizer (BANK_ACCOUNT) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "BANK_ACCOUNT"

CASES = [
    pytest.param("my account number is 12345678901", ["12345678901"], id="with-context"),
    pytest.param(
        "sort code and account 20-00-00 55779911", ["20-00-00 55779911"], id="uk-sort-code"
    ),
    pytest.param("please check 12345678901 again", [], id="no-context"),
    pytest.param("order 12345678901 account", [], id="order-context-wins"),
    pytest.param(
        "account number 61109010140000071219812874", ["61109010140000071219812874"], id="26-digits"
    ),
    pytest.param("order 61109010140000071219812874", [], id="26-digits-without-context"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_bank_accounts_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
