"""PASSPORT: Chinese (E/G + 8 digits, E + letter + 7 digits) and other passports with context.

Chinese ordinary passports since 2012 are ``E`` followed by 8 digits or by a letter and 7
digits; older ones ``G`` + 8 digits. Most other countries use 8-9 alphanumerics, which is too
generic to flag without a context word such as "passport" / "护照".
"""

from __future__ import annotations

from typing import ClassVar

from detectors.recognizers.base import (
    HAS_DIGIT,
    NOT_AFTER_ALNUM,
    NOT_BEFORE_ALNUM,
    PatternSpec,
    ProjectPatternRecognizer,
)


class GenericPassportRecognizer(ProjectPatternRecognizer):
    ENTITY = "PASSPORT"
    GUARD = HAS_DIGIT
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        (
            "cn_passport",
            rf"{NOT_AFTER_ALNUM}(?:[EG]\d{{8}}|E[A-HJ-NP-Z]\d{{7}}){NOT_BEFORE_ALNUM}",
            0.3,
        ),
        ("letter_digits", rf"{NOT_AFTER_ALNUM}[A-Z]{{1,2}}\d{{6,8}}{NOT_BEFORE_ALNUM}", 0.2),
        ("nine_digits", rf"{NOT_AFTER_ALNUM}\d{{9}}{NOT_BEFORE_ALNUM}", 0.2),
    )
    CONTEXT_WORDS = ("passport", "护照", "travel document", "旅行证件")
    COUNTRY = None
