"""PHONE_NUMBER, international and North American/UK national formats.

Chinese mobiles and landlines have their own recognizer (cn/cn_phone_recognizer.py).
A number is accepted when it has 7-15 digits (ITU-T E.164 maximum) after grouping.
"""

from __future__ import annotations

from typing import ClassVar, override

from detectors.recognizers.base import (
    HAS_DIGIT,
    NOT_AFTER_DIGIT,
    NOT_BEFORE_DIGIT,
    PatternSpec,
    ProjectPatternRecognizer,
)
from detectors.recognizers.checksums import digits_only

_EXT = r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,5})?"
_SEP = r"[\s.\-]?"


class GenericPhoneRecognizer(ProjectPatternRecognizer):
    ENTITY = "PHONE_NUMBER"
    GUARD = HAS_DIGIT
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        (
            "international",
            rf"(?<![0-9A-Za-z_+])(?:\+|00)[1-9]\d{{0,2}}{_SEP}(?:\(0\)\s?)?\(?\d{{1,4}}\)?"
            rf"(?:{_SEP}\d{{2,5}}){{1,4}}{_EXT}{NOT_BEFORE_DIGIT}",
            0.6,
        ),
        (
            "nanp_formatted",
            rf"{NOT_AFTER_DIGIT}(?:1[\s.\-])?(?:\(\d{{3}}\)\s?|\d{{3}}[.\-\s])\d{{3}}[.\-\s]\d{{4}}"
            rf"{_EXT}{NOT_BEFORE_DIGIT}",
            0.55,
        ),
        (
            "uk_national",
            rf"{NOT_AFTER_DIGIT}(?:\(0\d{{2,4}}\)\s?|0\d{{2,4}}\s)\d{{3,4}}\s?\d{{3,4}}{NOT_BEFORE_DIGIT}",
            0.45,
        ),
        ("uk_mobile", rf"{NOT_AFTER_DIGIT}07\d{{3}}\s?\d{{6}}{NOT_BEFORE_DIGIT}", 0.5),
        ("bare_ten_digits", rf"{NOT_AFTER_DIGIT}\d{{10}}{NOT_BEFORE_DIGIT}", 0.2),
    )
    CONTEXT_WORDS = (
        "phone", "call", "mobile", "cell", "tel", "telephone", "number", "contact", "text me",
        "whatsapp", "reach me", "电话", "手机", "号码", "联系", "致电", "打给", "来电", "手机号",
    )  # fmt: skip
    CHECK_EXPLANATION = "phone number shape"

    @override
    def validate_result(self, pattern_text: str) -> bool | None:
        digits = digits_only(pattern_text.split("x")[0].split("ext")[0])
        if not 7 <= len(digits) <= 15:
            return False
        return None
