# Chinese numerals are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""DATE_OF_BIRTH: calendar dates next to a birth context word ("born", "DOB", "出生", "生日").

A bare date is a delivery date or an order date far more often than a birthday, so every
pattern is weak and needs the context word. Forms: ISO, d/m/y, d/m/yy, compact 19900305,
month names ("5 March 1990", "March 5th, 1990", "04-Mar-1990"), 年月日 in digits or Chinese
numerals ("1990年3月5日", "一九九零年三月五日"); a birthday without its year ("my birthday
is the 5th of March", "生日是三月五号"); a birth year alone after "born (in)" / "b." or
before "年出生" ("b. 1990", "我是1990年出生的").

The engine turns a birth date under the minor threshold into the ``minor`` category
(engine.py); a year alone counts as its last day (the youngest the person can be), a
birthday without a year gives no age.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, override

import regex

from detectors.recognizers.base import (
    NOT_AFTER_DIGIT,
    NOT_BEFORE_DIGIT,
    REGEX_TIMEOUT,
    PatternSpec,
    ProjectPatternRecognizer,
)

MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH_RX = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"


_ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ZH_NUMBER = regex.compile(r"[零〇一二两三四五六七八九十]+")
_ZH_NUM_RX = "[一二三四五六七八九十]{1,3}"
_BIRTH_BEFORE = (
    r"(?<![A-Za-z])(?:birthday|bday|b-day|born|dob|d\.o\.b\.?|date\sof\sbirth)"
    r"(?:\s+(?:is|was|on|falls\son|'s))?(?:\s+on)?(?:\s+the)?\s*[:\s]\s*"
)
_BIRTH_AFTER = (
    r"\s+(?:is|was)\s+(?:my|his|her|our|their|the)\s+(?:[A-Za-z]+['\u2019]s\s+)?(?:birthday|bday)"
)
_YEAR_ONLY = regex.compile(r"^\D*((?:19|20)\d{2})\D*$")


def zh_number(word: str) -> int:
    """The value of a Chinese numeral: "五" 5, "十二" 12, "三十一" 31, "一九九零" 1990."""
    if "十" not in word:
        return int("".join(str(_ZH_DIGITS[c]) for c in word))
    tens, _, ones = word.partition("十")
    return (_ZH_DIGITS[tens[-1]] if tens else 1) * 10 + (_ZH_DIGITS[ones[0]] if ones else 0)


def _numbers(text: str) -> list[int]:
    digits = _ZH_NUMBER.sub(lambda m: str(zh_number(m.group(0))), text, timeout=REGEX_TIMEOUT.secs)
    return [int(n) for n in regex.findall(r"\d+", digits, timeout=REGEX_TIMEOUT.secs)]


def parse_month_day(text: str) -> tuple[int, int] | None:
    """(month, day) of a birthday written without its year ("5th of March", "三月五号")."""
    lowered = text.lower()
    numbers = _numbers(lowered)
    month_word = next(
        (w for w in regex.findall(r"[a-z]+", lowered, timeout=REGEX_TIMEOUT.secs) if w in MONTHS),
        None,
    )
    if month_word and len(numbers) == 1:
        month, day = MONTHS[month_word], numbers[0]
    elif not month_word and len(numbers) == 2 and "月" in text:
        month, day = numbers
    else:
        return None
    try:
        dt.date(2000, month, day)  # a leap year: 29 February is a birthday
    except ValueError:
        return None
    return month, day


def _full_year(year: int) -> int:
    """A two-digit year: the most recent century that is not in the future."""
    if year >= 100:
        return year
    this_year = dt.datetime.now(dt.UTC).year
    return year + (2000 if 2000 + year <= this_year else 1900)


def parse_date(text: str) -> dt.date | None:
    """Parse the date formats this recognizer matches (day-first for d/m/y).

    A year alone is read as its last day: the youngest the person can be.
    """
    lowered = text.lower()
    year_only = _YEAR_ONLY.match(lowered, timeout=REGEX_TIMEOUT.secs)
    if year_only and not any(
        w in MONTHS for w in regex.findall(r"[a-z]+", lowered, timeout=REGEX_TIMEOUT.secs)
    ):
        return dt.date(int(year_only.group(1)), 12, 31)
    numbers = _numbers(lowered)
    month_name = next(
        (w for w in regex.findall(r"[a-z]+", lowered, timeout=REGEX_TIMEOUT.secs) if w in MONTHS),
        None,
    )
    year_month = None
    if month_name and len(numbers) == 1 and numbers[0] > 31:  # "March 1990"
        year_month = (numbers[0], MONTHS[month_name])
    elif not month_name and len(numbers) == 2 and "年" in text:  # 1990年3月, 九零年三月
        year_month = (_full_year(numbers[0]), numbers[1])
    if year_month is not None:  # the month's last day: the youngest the person can be
        year, month = year_month
        if not 1 <= month <= 12:
            return None
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        return following - dt.timedelta(days=1)
    if "年" in text and len(numbers) == 3 and numbers[0] < 100:  # 18年7月29号
        numbers[0] = _full_year(numbers[0]) + 10000  # read year first below
    if len(numbers) == 1 and len(str(numbers[0])) == 8:  # compact 19900305
        compact = str(numbers[0])
        numbers = [int(compact[:4]), int(compact[4:6]), int(compact[6:])]
    # The month word, not an ordinal suffix or "of" ("4th of March 1990").
    month_word = next(
        (w for w in regex.findall(r"[a-z]+", lowered, timeout=REGEX_TIMEOUT.secs) if w in MONTHS),
        None,
    )
    try:
        if month_word and len(numbers) == 2:
            month = MONTHS[month_word]
            if numbers[1] > 31 or (
                numbers[1] < 100 and regex.search(r"\d\s*$", lowered, timeout=REGEX_TIMEOUT.secs)
            ):
                day, year = numbers[0], numbers[1]  # "5 March 1990", "11 Mar 76"
            else:
                day, year = numbers[1], numbers[0]
            return dt.date(_full_year(year), month, day)
        if len(numbers) != 3:
            return None
        if numbers[0] > 31:
            return dt.date(numbers[0] % 10000, numbers[1], numbers[2])
        first, second, year = numbers
        year = _full_year(year)
        if first > 12:
            return dt.date(year, second, first)
        if second > 12:
            return dt.date(year, first, second)
        return dt.date(year, second, first)
    except ValueError:
        return None


class GenericDateOfBirthRecognizer(ProjectPatternRecognizer):
    ENTITY = "DATE_OF_BIRTH"
    GUARD = regex.compile(r"[\d零〇一二两三四五六七八九十]")
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        (
            "iso",
            rf"{NOT_AFTER_DIGIT}(?:19|20)\d{{2}}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01]){NOT_BEFORE_DIGIT}",
            0.2,
        ),
        (
            "dmy",
            rf"{NOT_AFTER_DIGIT}(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:19|20)\d{{2}}{NOT_BEFORE_DIGIT}",
            0.2,
        ),
        (
            "zh",
            rf"{NOT_AFTER_DIGIT}(?:19|20)\d{{2}}\s?年\s?(?:0?[1-9]|1[0-2])\s?月\s?(?:0?[1-9]|[12]\d|3[01])\s?[日号]?",
            0.25,
        ),
        (
            "month_day_year",
            rf"(?<![A-Za-z]){_MONTH_RX}\s+(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}{NOT_BEFORE_DIGIT}",
            0.2,
        ),
        (
            "day_month_year",
            rf"{NOT_AFTER_DIGIT}(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?(?:\s+(?:of\s+)?|-){_MONTH_RX}(?:,?\s+|-)(?:19|20)?\d{{2}}{NOT_BEFORE_DIGIT}",
            0.2,
        ),
        (
            "zh_numerals",
            rf"(?=[零〇一二])[零〇一二三四五六七八九]{{4}}\s?年\s?{_ZH_NUM_RX}\s?月\s?{_ZH_NUM_RX}\s?[日号]",
            0.3,
        ),
        (
            "compact",
            rf"{NOT_AFTER_DIGIT}(?:19|20)\d{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]){NOT_BEFORE_DIGIT}",
            0.15,
        ),
        # A birthday without its year names the birth word right before or after it: "my
        # birthday is the 5th of March", "born on March 5", "三月五号是我生日" (not "birthday
        # sale ends March 5").
        (
            "month_day_no_year",
            rf"(?=[jfmasond])(?<={_BIRTH_BEFORE}){_MONTH_RX}\s+(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?(?![\d,]|\s+(?:19|20)\d\d|\s?(?:am|pm|h)\b)",
            0.5,
        ),
        (
            "day_month_no_year",
            rf"(?=\d)(?<={_BIRTH_BEFORE}){NOT_AFTER_DIGIT}(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_RX}(?![A-Za-z]|,?\s+(?:19|20)?\d\d)",
            0.5,
        ),
        (
            "month_day_then_birthday",
            rf"(?=[\djfmasond])(?<![A-Za-z0-9])(?:{_MONTH_RX}\s+(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?|(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_RX})(?={_BIRTH_AFTER})",
            0.5,
        ),
        (
            "zh_month_day",
            rf"(?=[\d一二三四五六七八九十])(?<![\d年一二三四五六七八九十])(?:0?[1-9]|1[0-2]|{_ZH_NUM_RX})\s?月\s?(?:0?[1-9]|[12]\d|3[01]|{_ZH_NUM_RX})\s?[日号]",
            0.15,
        ),
        (
            "born_month_year",
            rf"(?=[jfmasond])(?<={_BIRTH_BEFORE}(?:in\s+)?){_MONTH_RX},?\s+(?:19|20)\d{{2}}{NOT_BEFORE_DIGIT}",
            0.55,
        ),
        (
            "zh_year_month",
            rf"{NOT_AFTER_DIGIT}(?:19|20)\d{{2}}\s?年\s?(?:0?[1-9]|1[0-2])\s?(?:月份?)(?!\s?\d|\s?[一二三四五六七八九十]|底|初|中)",
            0.15,
        ),
        (
            "born_year",
            r"(?=[12])(?<=(?<![A-Za-z])(?:born|born\s+in|b\.)\s?)(?:19|20)\d{2}(?![\d年/.-]|['’]?s\b)",
            0.55,
        ),
        (
            "zh_birth_year",
            rf"{NOT_AFTER_DIGIT}(?:19|20)\d{{2}}\s?年(?=\s?(?:出生|出世|生的|生人|生))",
            0.55,
        ),
        (
            "dmy_short_year",
            rf"{NOT_AFTER_DIGIT}(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|[12]\d|3[01])/\d{{2}}{NOT_BEFORE_DIGIT}",
            0.15,
        ),
        # Two-digit years in Chinese: "18年7月29号", "九零年三月", "一六年十二月".
        (
            "zh_short_year",
            rf"(?<![\d零〇一二三四五六七八九十])(?:\d{{2}}|[零〇一二三四五六七八九]{{2}})\s?年\s?(?:0?[1-9]|1[0-2]|{_ZH_NUM_RX})\s?月(?:\s?(?:0?[1-9]|[12]\d|3[01]|{_ZH_NUM_RX})\s?[日号])?",
            0.2,
        ),
        # Any of these dates right after a birth word ("DOB 28.03.1992", "born on 4/27/71"):
        # the cue makes it a birth date, above a number's other readings.
        (
            "cued_date",
            rf"(?=\d)(?<={_BIRTH_BEFORE}){NOT_AFTER_DIGIT}(?:(?:19|20)\d{{2}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\d{{1,2}}[-/.]\d{{1,2}}[-/.](?:19|20)?\d{{2}}){NOT_BEFORE_DIGIT}",
            0.75,
        ),
    )
    CONTEXT_WORDS = (
        "born", "birth", "birthday", "bday", "b-day", "dob", "d.o.b", "date of birth", "birthdate",
        "出生", "生日", "出生日期", "出生于", "生于", "age check", "age verification", "verify my age",
        "年龄",
    )  # fmt: skip
    CHECK_EXPLANATION = "calendar date"

    @override
    def validate_result(self, pattern_text: str) -> bool | None:
        valid = parse_date(pattern_text) or parse_month_day(pattern_text)
        return None if valid else False
