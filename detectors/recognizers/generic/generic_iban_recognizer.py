"""IBAN_CODE: ISO 13616 International Bank Account Numbers, MOD 97-10 check (ISO 7064)."""

from __future__ import annotations

from typing import ClassVar, override

import regex

from detectors.recognizers.base import (
    HAS_DIGIT,
    NOT_AFTER_ALNUM,
    NOT_BEFORE_ALNUM,
    PatternSpec,
    ProjectPatternRecognizer,
)
from detectors.recognizers.checksums import iban_valid


class GenericIbanRecognizer(ProjectPatternRecognizer):
    ENTITY = "IBAN_CODE"
    GUARD = HAS_DIGIT
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        (
            "iban",
            rf"{NOT_AFTER_ALNUM}[A-Z]{{2}}\d{{2}}(?: ?[A-Z0-9]{{4}}){{2,7}}(?: ?[A-Z0-9]{{1,3}})?"
            rf"{NOT_BEFORE_ALNUM}",
            0.5,
        ),
    )
    CONTEXT_WORDS = ("iban", "bank", "account", "transfer", "银行", "账户", "账号", "汇款", "转账")
    CHECK_EXPLANATION = "IBAN MOD 97-10 check digits valid"
    FLAGS = regex.MULTILINE

    @override
    def validate_result(self, pattern_text: str) -> bool:
        return iban_valid(pattern_text)
