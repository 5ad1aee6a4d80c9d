# Chinese full-width punctuation and numerals are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""AGE: a person's age in years ("8 years old", "aged 8", "at the age of 72", "12 yo", "I'm 12", "8岁", "八岁").

"I'm 12" / "my son is 9" / "she is 7 and a half" / "my kids are 5 and 8" / "my boy (7)" /
"my daughter, 9," / "my son is 9" / "she's turning 10" / "I'll turn 52" / "my brother just turned
35" / "when he was 78." flag the number alone, and not when a unit
follows it ("I'm 5 minutes away", "she is 3 kg"); a bare "12 years" needs a context word
("son", "age"). Numbers may be words ("twelve years old", "I'm twelve", "aged nine",
"twenty-one"; "十二岁", "年龄: 十二").

Ages under the minor threshold make the finding sensitive with category ``minor`` (engine.py).
"""

from __future__ import annotations

from typing import ClassVar, override

import regex

from detectors.recognizers.base import (
    NOT_AFTER_DIGIT,
    REGEX_TIMEOUT,
    PatternSpec,
    ProjectPatternRecognizer,
)

_ZH_NUM = "零一二两三四五六七八九十"
_BE = (
    r"(?:i['\u2019]m|im|i am|he['\u2019]s|she['\u2019]s|he is|she is|"
    r"(?:son|daughter|kid|child|boy|girl|baby|grandson|granddaughter|nephew|niece|toddler|"
    r"mum|mom|mother|dad|father|grandma|grandpa|grandmother|grandfather|granny|nan|nana|wife|husband|"
    r"brother|sister)(?:['\u2019]s| is))"
)
_CHILD = r"(?:son|daughter|kid|child|boy|girl|baby|grandson|granddaughter|nephew|niece|toddler)"
_CHILDREN = r"(?:kids|children|boys|girls|sons|daughters|twins|grandkids|grandchildren)"
_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
_WORD_VALUES = {w: i for i, w in enumerate(_ONES)} | _TENS
_NUMBER_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[-\s](?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
)
_AGE_NUMBER = rf"(?:\d{{1,3}}|{_NUMBER_WORD}(?![A-Za-z]))"
_SUBJECT = (
    r"(?:i|he|she|son|daughter|kid|child|boy|girl|baby|grandson|granddaughter|brother|sister|"
    r"mother|mum|mom|father|dad|wife|husband|partner|grandma|grandpa|grandmother|grandfather)"
    r"(?:['\u2019]s|['\u2019]m|['\u2019]ll|\s(?:is|am|will))?"
)
# A range ("aged 3-6", "kids 3 to 5 years"): what a product suits, not someone's age.
_NOT_A_RANGE = r"(?!\s?(?:-|\u2013|to)\s?\d)"
_NOT_RANGE_END = r"(?<!\d\s?(?:-|\u2013|to)\s?)"
_NOT_A_UNIT = (
    r"(?!\d|[.,:/]\d|['\u2019\u2032]\s?\d|%|\s?(?:kg|g|lb|lbs|cm|mm|m|km|ft|foot|feet|in|inch(?:es)?|am|pm|min|mins|minutes?|hours?|hrs?|"
    r"days?|weeks?|months?|items?|pcs|pieces|pages?|degrees?|times|%|dollars?|usd|rmb|gbp|eur|euros?|元|块)\b)"
)


def parse_age(text: str) -> int | None:
    """The age in years from a matched span, or None."""
    digits = regex.search(r"\d{1,3}", text, timeout=REGEX_TIMEOUT.secs)
    if digits:
        return int(digits.group(0))
    words = [
        _WORD_VALUES[w]
        for w in regex.findall(r"[a-z]+", text.lower(), timeout=REGEX_TIMEOUT.secs)
        if w in _WORD_VALUES
    ]
    if words:
        return sum(words[:2]) if len(words) == 2 and words[0] >= 20 else words[0]
    chars = [c for c in text if c in _ZH_NUM]
    if not chars:
        return None
    values = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
    if "十" in chars:
        index = chars.index("十")
        tens = values.get(chars[index - 1], 1) if index > 0 else 1
        ones = values.get(chars[index + 1], 0) if index + 1 < len(chars) else 0
        return tens * 10 + ones
    return values.get(chars[0])


class GenericAgeRecognizer(ProjectPatternRecognizer):
    ENTITY = "AGE"
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        (
            "years_old",
            rf"(?=[\defnost]){NOT_AFTER_DIGIT}{_NOT_RANGE_END}(?<![A-Za-z]){_AGE_NUMBER}(?:\s|-)?(?:years?|yrs?|yo)(?:\s|-)?old",
            0.65,
        ),
        (
            "months_old",
            rf"(?=[\defnost]){NOT_AFTER_DIGIT}(?<![A-Za-z]){_AGE_NUMBER}(?:\s|-)?months?(?:\s|-)?old",
            0.6,
        ),
        ("aged", rf"(?<![A-Za-z])(?:aged|age)\s?:?\s?{_AGE_NUMBER}(?!\d){_NOT_A_RANGE}", 0.55),
        ("age_of", rf"(?=[\defnost])(?<=(?<![A-Za-z])age\s+of\s+){_AGE_NUMBER}(?!\d)", 0.55),
        (
            "years_of_age",
            rf"(?=[\defnost]){NOT_AFTER_DIGIT}(?<![A-Za-z]){_AGE_NUMBER}\s(?:years?|yrs?)\sof\sage",
            0.65,
        ),
        (
            "is_age_word",
            rf"(?=[efnost])(?<=(?<![A-Za-z]){_BE}\s){_NUMBER_WORD}(?=\s*(?:$|[.,!?;:)]|(?:and|now|lol|so|but|btw|next|soon|today|this|in|on)\b))",
            0.6,
        ),
        (
            "turning",
            rf"(?=[\defnost])(?<=(?<![A-Za-z]){_SUBJECT}\s(?:just\s)?(?:turn(?:ing|ed|s)?|will\sbe|gonna\sbe)\s){_AGE_NUMBER}{_NOT_A_UNIT}(?![A-Za-z-])",
            0.55,
        ),
        (
            "zh_age_label",
            rf"(?=[\d{_ZH_NUM}])(?<=(?:年龄|年纪)\s?[:：是]?\s?){NOT_AFTER_DIGIT}(?:\d{{1,3}}|[{_ZH_NUM}]{{1,3}})(?![\d{_ZH_NUM}]|\s?[岁个年月天斤])",
            0.55,
        ),
        (
            "zh_this_year",
            rf"(?=\d)(?<=(?:我|他|她|孩子|儿子|女儿|宝宝|小孩)(?:今年|才|已经)\s?){NOT_AFTER_DIGIT}\d{{1,2}}(?=了|啦|$|\s|[,，。!！?？])",
            0.55,
        ),
        ("yo", rf"{NOT_AFTER_DIGIT}\d{{1,3}}\s?(?:yo|y/o|y\.o\.)(?![A-Za-z])", 0.6),
        (
            "years_bare",
            rf"{NOT_AFTER_DIGIT}{_NOT_RANGE_END}\d{{1,3}}\s?(?:years?|yrs?)(?![A-Za-z])",
            0.3,
        ),
        (
            "is_age",
            rf"(?<=(?<![A-Za-z]){_BE}\s)\d{{1,2}}{_NOT_A_UNIT}(?![A-Za-z])(?:\sand\sa\shalf(?![A-Za-z]))?",
            0.6,
        ),
        # "she'll be 7 in May": a future age, then a time or the clause's end.
        (
            "will_be",
            rf"(?=[\defnost])(?<=(?<![A-Za-z])(?:i|he|she|son|daughter|kid|baby|they)['\u2019]ll\sbe\s){_AGE_NUMBER}(?!\d|[.,:/]\d|%)(?=\s*(?:$|[.,!?;)]|(?:in|on|next|this|soon|tomorrow)\b))",
            0.55,
        ),
        # "my kids are 5 and 8": each number of the list.
        (
            "plural_are",
            rf"(?=\d)(?<=(?<![A-Za-z]){_CHILDREN}\sare\s(?:\d{{1,2}}(?:,\s?|\sand\s|\s?&\s?))*)\d{{1,2}}{_NOT_A_UNIT}(?![A-Za-z])",
            0.55,
        ),
        # "for my boy (7)" / "my daughter, 9, loves it".
        (
            "child_apposition",
            rf"(?=\d)(?<=(?<![A-Za-z]){_CHILD}(?:\s?\(|,\s))\d{{1,2}}(?=\)|,)",
            0.55,
        ),
        # "when he was 78." / "I was 12, and": a past age ends its clause.
        (
            "was_age",
            r"(?=\d)(?<=(?<![A-Za-z])(?:i|he|she)\swas\s)\d{1,3}(?=\s*(?:$|[.,!?;)]|and\b|when\b))",
            0.6,
        ),
        ("zh_digits", rf"{NOT_AFTER_DIGIT}\d{{1,3}}\s?多?(?:周岁|岁半|岁)", 0.6),
        ("zh_words", rf"(?<![{_ZH_NUM}])[{_ZH_NUM}]{{1,3}}多?(?:周岁|岁半|岁)", 0.6),
        # a baby's age: "六个月大", "8个月大了" (a minor's, engine.py)
        (
            "zh_months_old",
            rf"{NOT_AFTER_DIGIT}(?<![{_ZH_NUM}])(?:\d{{1,2}}|[{_ZH_NUM}]{{1,3}})\s?个多?月(?:大|(?=的?(?:宝宝|宝贝|孩子|婴儿|小孩|娃)))",
            0.6,
        ),
    )
    CONTEXT_WORDS = (
        "old", "age", "son", "daughter", "child", "kid", "baby", "boy", "girl",
        "年龄", "今年", "孩子", "儿子", "女儿", "宝宝", "小孩",
    )  # fmt: skip
    CHECK_EXPLANATION = "age in years"

    @override
    def validate_result(self, pattern_text: str) -> bool | None:
        age = parse_age(pattern_text)
        return None if age is not None and age <= 120 else False
