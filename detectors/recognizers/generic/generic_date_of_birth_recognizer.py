# Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501
"""DATE_OF_BIRTH: calendar dates next to a birth context word ("born", "DOB", "出生", "生日").

A bare date is a delivery date or an order date far more often than a birthday, so every
pattern is weak and needs the context word. The engine turns a birth date under the minor
threshold into the ``minor`` category (engine.py).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, override

import regex

from detectors.recognizers.base import (
    NOT_AFTER_DIGIT,
    NOT_BEFORE_DIGIT,
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


def parse_date(text: str) -> dt.date | None:
    """Parse the date formats this recognizer matches (day-first for d/m/y)."""
    lowered = text.lower()
    numbers = [int(n) for n in regex.findall(r"\d+", lowered)]
    # The month word, not an ordinal suffix or "of" ("4th of March 1990").
    month_word = next((w for w in regex.findall(r"[a-z]+", lowered) if w in MONTHS), None)
    try:
        if month_word and len(numbers) == 2:
            month = MONTHS[month_word]
            day, year = (numbers[0], numbers[1]) if numbers[1] > 31 else (numbers[1], numbers[0])
            return dt.date(year, month, day)
        if len(numbers) != 3:
            return None
        if numbers[0] > 31:
            return dt.date(numbers[0], numbers[1], numbers[2])
        first, second, year = numbers
        if year < 100:  # two-digit year: the most recent century that is not in the future
            this_year = dt.datetime.now(dt.UTC).year
            year += 2000 if 2000 + year <= this_year else 1900
        if first > 12:
            return dt.date(year, second, first)
        if second > 12:
            return dt.date(year, first, second)
        return dt.date(year, second, first)
    except ValueError:
        return None


class GenericDateOfBirthRecognizer(ProjectPatternRecognizer):
    ENTITY = "DATE_OF_BIRTH"
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
            rf"{NOT_AFTER_DIGIT}(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?(?:\s+(?:of\s+)?|-){_MONTH_RX}(?:,?\s+|-)(?:19|20)\d{{2}}{NOT_BEFORE_DIGIT}",
            0.2,
        ),
        (
            "dmy_short_year",
            rf"{NOT_AFTER_DIGIT}(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])/\d{{2}}{NOT_BEFORE_DIGIT}",
            0.15,
        ),
    )
    CONTEXT_WORDS = (
        "born", "birth", "birthday", "bday", "b-day", "dob", "d.o.b", "date of birth", "birthdate",
        "出生", "生日", "出生日期", "出生于", "生于",
    )  # fmt: skip
    CHECK_EXPLANATION = "calendar date"

    @override
    def validate_result(self, pattern_text: str) -> bool | None:
        return None if parse_date(pattern_text) is not None else False
