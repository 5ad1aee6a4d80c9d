# Chinese full-width punctuation is the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""Table-driven checks of generic_date_of_birth_recognizer (DATE_OF_BIRTH) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "DATE_OF_BIRTH"

CASES = [
    pytest.param("my date of birth is 1985-11-02", ["1985-11-02"], id="iso-with-context"),
    pytest.param("born on March 7, 1990", ["March 7, 1990"], id="month-name"),
    pytest.param("DOB: 07/03/1990", ["07/03/1990"], id="day-first"),
    pytest.param("delivered on 2026-11-28", [], id="delivery-date"),
    pytest.param("born 1990-02-30", [], id="impossible-date"),
    # Issue 15: more of the common English forms.
    pytest.param("my birthday is 4th of March 1990", ["4th of March 1990"], id="ordinal-of-month"),
    pytest.param("birthday: 04-Mar-1990", ["04-Mar-1990"], id="day-mon-year-dashed"),
    pytest.param("D.O.B: 4/3/90", ["4/3/90"], id="two-digit-year"),
    pytest.param("my bday is 12/05/2001", ["12/05/2001"], id="bday"),
    pytest.param("delivered 4/3/25 to the locker", [], id="short-date-without-birth-word"),
    pytest.param("order placed 04-Mar-2026", [], id="dashed-date-without-birth-word"),
    # Issue 15 (item 4): the forms the issue lists, years alone, birthdays without a year.
    pytest.param("I was born on 5 March 1990", ["5 March 1990"], id="born-on-day-month-year"),
    pytest.param("DOB 03/05/1990", ["03/05/1990"], id="dob-slashes"),
    pytest.param("b. 1990", ["1990"], id="b-dot-year"),
    pytest.param("I was born in 2015", ["2015"], id="born-in-year"),
    pytest.param("my birthday is the 5th of March", ["5th of March"], id="birthday-no-year"),
    pytest.param("my birthday is March 5th", ["March 5th"], id="birthday-month-first-no-year"),
    pytest.param("1990年3月5日出生", ["1990年3月5日"], id="zh-birth-after"),
    pytest.param("生日是三月五号", ["三月五号"], id="zh-birthday-numerals-no-year"),
    pytest.param("出生日期：1990-03-05", ["1990-03-05"], id="zh-label-iso"),
    pytest.param("出生日期：一九九零年三月五日", ["一九九零年三月五日"], id="zh-numerals-full"),
    pytest.param("我是1990年出生的", ["1990年"], id="zh-year-born"),
    pytest.param("出生日期 19900305", ["19900305"], id="compact"),
    pytest.param("delivery on March 5th please", [], id="month-day-without-birth-word"),
    pytest.param("the shop was born in 1990s", [], id="decade-not-a-year"),
    pytest.param("my birthday is February 30", [], id="impossible-birthday"),
    pytest.param("March 5th is my birthday", ["March 5th"], id="birthday-word-after"),
    pytest.param("三月五号是我生日", ["三月五号"], id="zh-birthday-word-after"),
    pytest.param("Happy birthday sale ends March 5", [], id="birthday-sale-not-a-birth-date"),
    pytest.param("born in March 1990", ["March 1990"], id="born-month-year"),
    pytest.param("1990年3月出生", ["1990年3月"], id="zh-year-month-born"),
    pytest.param("2024年3月发货的订单", [], id="zh-year-month-without-birth-word"),
    # Two-digit years, dotted dates, month-first short dates, an age check as the cue.
    pytest.param("DOB 07.11.1983", ["07.11.1983"], id="dotted-after-dob"),
    pytest.param("born 3/27/85", ["3/27/85"], id="month-first-two-digit-year"),
    pytest.param("date of birth 9 Jun 79", ["9 Jun 79"], id="day-mon-two-digit-year"),
    pytest.param("age verification: 1987-10-02", ["1987-10-02"], id="age-check-cue"),
    pytest.param(
        "生日是二零零一年五月六日", ["二零零一年五月六日"], id="zh-numerals-two-thousands"
    ),
    pytest.param("我儿子17年4月出生的", ["17年4月"], id="zh-two-digit-year-month"),
    pytest.param("宝宝出生于一九年十月", ["一九年十月"], id="zh-numerals-two-digit-year"),
    pytest.param("the 9 Jun 24 sale is on", [], id="short-year-without-birth-word"),
    pytest.param("24年6月9号发的货", [], id="zh-two-digit-year-without-birth-word"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_dates_of_birth_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
