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
    pytest.param("I'm 5'10 and 80kg, which size should I take?", [], id="im-height-feet-inches"),
    pytest.param("Suitable for children aged 3-6.", [], id="product-age-range-dash"),
    pytest.param("vitamin tablets for kids aged 4 to 8", [], id="product-age-range-to"),
    pytest.param("It fits kids 3 to 5 years.", [], id="product-years-range"),
    pytest.param("my son is aged 6 to be exact", ["aged 6"], id="aged-before-to-a-word"),
    pytest.param("she's 5 feet tall, so the petite cut?", [], id="shes-height-in-feet"),
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
    # Issue 15 (item 4), shop-chat ways of saying an age, and look-alikes that are none.
    pytest.param("it's for a 7-year-old", ["7-year-old"], id="chat-a-7-year-old"),
    pytest.param("he's 7yo", ["7yo"], id="chat-7yo"),
    pytest.param("my girl is 7 y/o", ["7 y/o"], id="chat-7-y-slash-o"),
    pytest.param("my son is 7yrs", ["7yrs"], id="chat-7yrs"),
    pytest.param("she's seven.", ["seven"], id="chat-shes-seven"),
    pytest.param("my son just turned 7, what size?", ["7"], id="chat-just-turned"),
    pytest.param("it's for my boy (7)", ["7"], id="chat-boy-parenthesis"),
    pytest.param("my daughter, 9, loves it", ["9"], id="chat-daughter-apposition"),
    pytest.param("she is 7 and a half", ["7 and a half"], id="chat-and-a-half"),
    pytest.param("my kids are 5 and 8", ["5", "8"], id="chat-kids-are"),
    pytest.param("my nephew is 6", ["6"], id="chat-nephew"),
    pytest.param("he's in year 3", [], id="school-year-is-no-age"),
    pytest.param("suitable for 3-year-olds", [], id="product-for-age-group"),
    pytest.param("I'm expecting 2 parcels", [], id="im-expecting-number"),
    pytest.param("孩子7周岁", ["7周岁"], id="zh-full-years"),
    pytest.param("女儿七岁半", ["七岁半"], id="zh-and-a-half"),
    pytest.param("虚岁八岁", ["八岁"], id="zh-nominal-age"),
    pytest.param("我妈八十多岁了", ["八十多岁"], id="zh-eighty-odd"),
    pytest.param("我30多岁", ["30多岁"], id="zh-thirty-odd"),
    pytest.param("宝宝六个月大", ["六个月大"], id="zh-months-old"),
    pytest.param("宝宝8个月大了", ["8个月大"], id="zh-digit-months-old"),
    pytest.param("儿子今年上二年级", [], id="zh-school-grade-is-no-age"),
    pytest.param("这个保修三个月", [], id="zh-warranty-months"),
    pytest.param("my mum is 82, is the font big enough?", ["82"], id="chat-mum-is"),
    pytest.param("my grandpa is eighty.", ["eighty"], id="chat-grandpa-word"),
    pytest.param("she'll be 7 in May", ["7"], id="chat-ll-be"),
    pytest.param("I'll be 5 minutes late", [], id="ll-be-minutes"),
    pytest.param("my dad is 2 hours away", [], id="dad-is-hours"),
    pytest.param("九个月的宝宝能用吗", ["九个月"], id="zh-months-baby"),
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


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        pytest.param("宝宝18个月大", True, id="zh-months-is-a-minor"),
        pytest.param("my boy (7) wants one", True, id="apposition-minor"),
        pytest.param("my kids are 5 and 16", False, id="second-child-is-no-minor"),
    ],
)
def test_when_an_age_is_in_months_or_under_the_threshold_then_it_is_a_minor(
    detector: Detector, text: str, minor: bool
) -> None:
    ages = [f for f in detector.detect(text) if f.entity_type == ENTITY]
    assert ages, f"no AGE in {text!r}"
    assert (ages[-1].category == "minor") is minor, ages
