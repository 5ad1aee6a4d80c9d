"""CN_RESIDENT_ID: PRC resident identity card numbers (居民身份证号码).

GB 11643-1999 "Citizen identification number": 6-digit address code, 8-digit birth date
(YYYYMMDD), 3-digit sequence code and a check character computed with ISO 7064 MOD 11-2
(weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; remainder -> "10X98765432"). A verified
check digit and a real birth date score 1.0; a failed check drops the match.
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
from detectors.recognizers.checksums import gb11643_valid

_BODY = r"[1-9]\d{5}[ -]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[ -]?\d{3}[0-9Xx]"


class CnResidentIdRecognizer(ProjectPatternRecognizer):
    ENTITY = "CN_RESIDENT_ID"
    COUNTRY = "cn"
    GUARD = HAS_DIGIT
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        ("gb11643_18", rf"{NOT_AFTER_DIGIT}{_BODY}{NOT_BEFORE_DIGIT}", 0.5),
    )
    CONTEXT_WORDS = (
        "身份证", "身份证号", "身份证号码", "证件号", "公民身份", "居民身份证", "id card",
        "id number", "identity", "resident id", "chinese id",
    )  # fmt: skip
    CHECK_EXPLANATION = "GB 11643 check digit valid"

    @override
    def validate_result(self, pattern_text: str) -> bool:
        return gb11643_valid(pattern_text.replace(" ", "").replace("-", ""))
