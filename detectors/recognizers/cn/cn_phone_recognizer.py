# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""PHONE_NUMBER (China): mobiles (1[3-9] + 9 digits, MIIT numbering plan) and landlines.

Mobiles may carry +86 / 0086 / (+86), and be grouped 3-4-4 by spaces or dashes; full-width
digits are normalised before matching (text.py). Landlines are 0 + 2-3 digit area code +
7-8 digits and need a context word; 400/800 service numbers are a company's, not a person's.
"""

from __future__ import annotations

from typing import ClassVar

from detectors.recognizers.base import (
    HAS_DIGIT,
    NOT_AFTER_DIGIT,
    NOT_BEFORE_DIGIT,
    PatternSpec,
    ProjectPatternRecognizer,
)

_CC = r"(?:(?:\+|00)\s?86|\(\+?86\)|（\+?86）)[\s-]?"


class CnPhoneRecognizer(ProjectPatternRecognizer):
    ENTITY = "PHONE_NUMBER"
    COUNTRY = "cn"
    GUARD = HAS_DIGIT
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        (
            "cn_mobile_cc",
            rf"(?<![0-9A-Za-z_+]){_CC}1[3-9]\d[\s-]?\d{{4}}[\s-]?\d{{4}}{NOT_BEFORE_DIGIT}",
            0.75,
        ),
        ("cn_mobile", rf"{NOT_AFTER_DIGIT}1[3-9]\d(?:[\s-]?\d{{4}}){{2}}{NOT_BEFORE_DIGIT}", 0.6),
        (
            "cn_landline",
            rf"{NOT_AFTER_DIGIT}(?:\(0\d{{2,3}}\)|0\d{{2,3}}[\s-]?)[2-9]\d{{6,7}}{NOT_BEFORE_DIGIT}",
            0.35,
        ),
        (
            "cn_landline_cc",
            rf"(?<![0-9A-Za-z_+]){_CC}\d{{2,3}}[\s-]?[2-9]\d{{6,7}}{NOT_BEFORE_DIGIT}",
            0.6,
        ),
    )
    CONTEXT_WORDS = (
        "电话", "手机", "手机号", "号码", "联系方式", "联系电话", "致电", "打给", "来电", "座机",
        "phone", "mobile", "call", "tel", "number",
    )  # fmt: skip
