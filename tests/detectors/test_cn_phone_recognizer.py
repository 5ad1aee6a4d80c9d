# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""Table-driven checks of cn_phone_recognizer (PHONE_NUMBER) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "PHONE_NUMBER"

CASES = [
    pytest.param("我的手机13812345678", ["13812345678"], id="mobile"),
    pytest.param("电话+86 138 1234 5678", ["+86 138 1234 5678"], id="plus86-spaced"),
    pytest.param("手机+8613812345678谢谢", ["+8613812345678"], id="plus86-no-space"),
    pytest.param("call 0086-138-1234-5678", ["0086-138-1234-5678"], id="0086-dashed"),
    pytest.param("手机１３８１２３４５６７８", ["１３８１２３４５６７８"], id="full-width-digits"),
    pytest.param("号码138-1234-5678", ["138-1234-5678"], id="dashed"),
    pytest.param("订单号138123456789012", [], id="embedded-in-longer-digits"),
    pytest.param("订单号13812345678已发货", [], id="order-number-context-suppresses"),
    pytest.param("座机电话010-62345678", ["010-62345678"], id="landline-with-context"),
    pytest.param("编号010-62345678", [], id="landline-without-context"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_cn_phone_numbers_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
