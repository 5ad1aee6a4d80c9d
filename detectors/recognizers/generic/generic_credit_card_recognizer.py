"""CREDIT_CARD: 13-19 digit payment card numbers with a known IIN prefix and a valid Luhn digit.

ISO/IEC 7812: Visa 4, Mastercard 51-55 and 2221-2720, Amex 34/37, Discover 6011/644-649/65,
JCB 3528-3589, Diners 36/38/300-305, UnionPay 62 (China UnionPay, 16-19 digits).
Digits may be grouped by single spaces or dashes.
"""

from __future__ import annotations

from typing import ClassVar, override

from detectors.recognizers.base import (
    NOT_AFTER_DIGIT,
    NOT_BEFORE_DIGIT,
    PatternSpec,
    ProjectPatternRecognizer,
)
from detectors.recognizers.checksums import digits_only, luhn_valid

_PREFIXES = (
    ("4", 13, 19),
    ("51", 16, 16), ("52", 16, 16), ("53", 16, 16), ("54", 16, 16), ("55", 16, 16),
    ("34", 15, 15), ("37", 15, 15),
    ("6011", 16, 19), ("65", 16, 19), ("644", 16, 19), ("645", 16, 19), ("646", 16, 19),
    ("647", 16, 19), ("648", 16, 19), ("649", 16, 19),
    ("35", 16, 19), ("36", 14, 19), ("38", 14, 19), ("30", 14, 19),
    ("62", 16, 19),
)  # fmt: skip


def _known_prefix(digits: str) -> bool:
    if len(digits) == 16 and 2221 <= int(digits[:4]) <= 2720:
        return True
    return any(digits.startswith(p) and lo <= len(digits) <= hi for p, lo, hi in _PREFIXES)


class GenericCreditCardRecognizer(ProjectPatternRecognizer):
    ENTITY = "CREDIT_CARD"
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        ("card_grouped", rf"{NOT_AFTER_DIGIT}\d{{4}}(?:[ -]\d{{4}}){{2}}[ -]\d{{1,7}}{NOT_BEFORE_DIGIT}", 0.4),
        ("card_amex", rf"{NOT_AFTER_DIGIT}3[47]\d{{2}}[ -]\d{{6}}[ -]\d{{5}}{NOT_BEFORE_DIGIT}", 0.4),
        ("card_plain", rf"{NOT_AFTER_DIGIT}\d{{13,19}}{NOT_BEFORE_DIGIT}", 0.3),
    )
    CONTEXT_WORDS = (
        "card", "credit", "debit", "visa", "mastercard", "amex", "unionpay", "payment", "pay",
        "信用卡", "银行卡", "卡号", "储蓄卡", "借记卡", "银联", "刷卡", "付款",
    )  # fmt: skip
    CHECK_EXPLANATION = "card prefix known and Luhn check digit valid"

    @override
    def validate_result(self, pattern_text: str) -> bool:
        digits = digits_only(pattern_text)
        return _known_prefix(digits) and luhn_valid(digits)
