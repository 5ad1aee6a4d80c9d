"""Table-driven checks of generic_age_recognizer (AGE) through the real detector."""

from __future__ import annotations

import pathlib

import pytest

from detectors import Detector
from tests.detectors.assertions import assert_entity_values, context_sentences

ENTITY = "AGE"
SENTENCES_ZH = (pathlib.Path(__file__).parent / "data" / "context_sentences_zh.txt").read_text(
    encoding="utf-8"
)

CASES = [
    pytest.param("my son is 8 years old", ["8 years old"], id="years-old"),
    pytest.param("she is a 12-year-old girl", ["12-year-old"], id="hyphenated"),
    pytest.param("age: 35", ["age: 35"], id="age-colon"),
    pytest.param("孩子今年8岁", ["8岁"], id="zh-digits"),
    pytest.param("孩子今年八岁", ["八岁"], id="zh-numerals"),
    pytest.param("warranty of 2 years", [], id="not-an-age"),
    pytest.param("适用3岁以上", [], id="product-suitability"),
    # Issue 15: ages written without "years old".
    pytest.param("I'm 12 and my mum said I can buy it", ["12"], id="im-number"),
    pytest.param("im 13 lol is that ok", ["13"], id="chat-im-number"),
    pytest.param("my son is 9, which size fits him?", ["9"], id="son-is-number"),
    pytest.param("he is 12 yo", ["12 yo"], id="yo"),
    pytest.param("我儿子十二岁", ["十二岁"], id="zh-twelve"),
    pytest.param("I'm 5 minutes away from the locker", [], id="im-number-with-unit"),
    pytest.param("she is 3.5 kg now", [], id="weight-not-age"),
    pytest.param("I'm 100% sure I paid", [], id="percent-not-age"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_ages_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
