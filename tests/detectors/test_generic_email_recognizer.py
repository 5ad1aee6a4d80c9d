# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""Table-driven checks of generic_email_recognizer (EMAIL_ADDRESS) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "EMAIL_ADDRESS"

CASES = [
    pytest.param(
        "write to rachel.davis@example.com please", ["rachel.davis@example.com"], id="plain"
    ),
    pytest.param("邮箱zhang.wei@qq.com谢谢", ["zhang.wei@qq.com"], id="in-chinese"),
    pytest.param("mail ＡＢＣ@example.co.uk", ["ＡＢＣ@example.co.uk"], id="full-width-local-part"),
    pytest.param("user@localhost is not public", [], id="no-public-suffix"),
    pytest.param("user@example.notarealtld", [], id="unknown-suffix-check-fails"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_email_addresses_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
