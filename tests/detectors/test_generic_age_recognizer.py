# Chinese full-width punctuation is the data here, on purpose. One-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""Table-driven checks of generic_age_recognizer (AGE) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "AGE"

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
    # Issue 15 (item 4): numbers as words, "turning", an age label.
    pytest.param("I'm twelve and I want the blue one", ["twelve"], id="im-number-word"),
    pytest.param("my kid is seven, which size?", ["seven"], id="kid-is-number-word"),
    pytest.param("a twelve-year-old boy", ["twelve-year-old"], id="number-word-year-old"),
    pytest.param("he is twenty-one years old", ["twenty-one years old"], id="compound-number-word"),
    pytest.param("aged nine", ["aged nine"], id="aged-number-word"),
    pytest.param("she's turning 10 next week", ["10"], id="turning"),
    pytest.param("my son is 7 years of age", ["7 years of age"], id="years-of-age"),
    pytest.param("年龄：十二", ["十二"], id="zh-age-label"),
    pytest.param("I'm one of your oldest customers", [], id="one-of-not-an-age"),
    pytest.param("I am one step away from ordering", [], id="number-word-then-noun"),
    pytest.param("the price is turning 10 dollars", [], id="turning-without-a-person"),
    pytest.param("孩子今年12了", ["12"], id="zh-this-year-number"),
    pytest.param("今年12月发货吗", [], id="zh-this-year-month"),
    # Presidio's English PII set (dev): an age after "the age of", "turn", "was".
    pytest.param("My father retired at the age of 72", ["72"], id="at-the-age-of"),
    pytest.param("My brother just turned 35", ["35"], id="relative-turned"),
    pytest.param("My birthday is on the weekend. I'll turn 52.", ["52"], id="ill-turn"),
    pytest.param("Written when he was 78.", ["78"], id="when-he-was"),
    pytest.param("I was 5 minutes late", [], id="was-number-with-unit"),
    pytest.param("I turned 2 pages back and found it", [], id="turned-pages-not-an-age"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_ages_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
