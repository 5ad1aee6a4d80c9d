"""US_SSN: US Social Security numbers, AAA-GG-SSSS.

Per the SSA's SSN randomisation rules, area 000, 666 and 900-999, group 00 and serial 0000
are never issued; such numbers fail validation. Undashed nine-digit runs need context.
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

_KNOWN_FAKE = frozenset({"123456789", "078051120", "219099999"})


class EnUsSsnRecognizer(ProjectPatternRecognizer):
    ENTITY = "US_SSN"
    COUNTRY = "us"
    GUARD = HAS_DIGIT
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        ("ssn_dashed", rf"{NOT_AFTER_DIGIT}\d{{3}}-\d{{2}}-\d{{4}}{NOT_BEFORE_DIGIT}", 0.5),
        ("ssn_spaced", rf"{NOT_AFTER_DIGIT}\d{{3}} \d{{2}} \d{{4}}{NOT_BEFORE_DIGIT}", 0.3),
        ("ssn_plain", rf"{NOT_AFTER_DIGIT}\d{{9}}{NOT_BEFORE_DIGIT}", 0.15),
    )
    CONTEXT_WORDS = ("ssn", "social security", "social", "security number", "社会安全号", "社保号")
    CHECK_EXPLANATION = "SSN area/group/serial valid"

    @override
    def validate_result(self, pattern_text: str) -> bool | None:
        digits = digits_only(pattern_text)
        area, group, serial = digits[:3], digits[3:5], digits[5:]
        if area in {"000", "666"} or area[0] == "9" or group == "00" or serial == "0000":
            return False
        if digits in _KNOWN_FAKE:
            return False
        return None
