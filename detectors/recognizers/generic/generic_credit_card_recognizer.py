# Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501
"""CREDIT_CARD: 13-19 digit payment card numbers with a known IIN prefix and a valid Luhn digit.

ISO/IEC 7812: Visa 4, Mastercard 51-55 and 2221-2720, Amex 34/37, Discover 6011/644-649/65,
JCB 3528-3589 (and 15-digit 2131 / 1800), Diners 36/38/300-305, UnionPay 62 (China UnionPay, 16-19 digits).
Digits may be grouped by single spaces or dashes, regularly or not (OCR of a picture often
merges groups). Maestro (50, 56-58, 6304, 639, 67; 12-19 digits, so as short as an order or a
tracking number) counts only after a card word ("my card 676222165679", "Maestro: 5018 ...").
"""

from __future__ import annotations

from typing import ClassVar, override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import (
    HAS_DIGIT,
    NOT_AFTER_DIGIT,
    NOT_BEFORE_DIGIT,
    REGEX_TIMEOUT,
    PatternSpec,
    ProjectPatternRecognizer,
    make_result,
)
from detectors.recognizers.checksums import digits_only, luhn_valid

_SIXTEEN_TO_19 = frozenset({16, 17, 18, 19})
# (prefix, allowed lengths). A 15-digit number is only an Amex card or a JCB card of the
# older 2131 / 1800 ranges, which keeps IMEIs (15 digits, Luhn too, starting with a
# reporting body's 01, 35, 86 ...) out of this recognizer.
_PREFIXES: tuple[tuple[str, frozenset[int]], ...] = (
    ("4", frozenset({13, 16, 19})),
    *((f"5{d}", frozenset({16})) for d in "12345"),
    ("34", frozenset({15})), ("37", frozenset({15})),
    ("6011", _SIXTEEN_TO_19), ("65", _SIXTEEN_TO_19),
    *((f"64{d}", _SIXTEEN_TO_19) for d in "456789"),
    ("35", _SIXTEEN_TO_19), ("2131", frozenset({15})), ("1800", frozenset({15})), ("36", frozenset({14, 16})), ("38", frozenset({14, 16})),
    ("30", frozenset({14, 16})), ("62", _SIXTEEN_TO_19),
)  # fmt: skip


_MAESTRO_PREFIXES = ("50", "56", "57", "58", "6304", "639", "67")
# A card word, then at most 40 characters on the same line or the next (no paragraph break)
# before the number: "my card 6762...", "Please charge my credit card. Number is 5018...",
# "for this card: 6304...".
_CARD_CUE = regex.compile(r"(?<![A-Za-z])(?:card|maestro|debit|credit|cc)(?![A-Za-z])", regex.I)
_MAESTRO = regex.compile(
    rf"{NOT_AFTER_DIGIT}(?:\d{{12,19}}|\d{{4}}(?:[ -]\d{{4}}){{2}}(?:[ -]\d{{1,4}}){{0,2}}){NOT_BEFORE_DIGIT}"
)
_CUE_WINDOW = 40


def _known_prefix(digits: str) -> bool:
    if len(digits) == 16 and 2221 <= int(digits[:4]) <= 2720:
        return True
    return any(digits.startswith(p) and len(digits) in lengths for p, lengths in _PREFIXES)


class GenericCreditCardRecognizer(ProjectPatternRecognizer):
    ENTITY = "CREDIT_CARD"
    GUARD = HAS_DIGIT
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        (
            "card_grouped",
            rf"{NOT_AFTER_DIGIT}\d{{4}}(?:[ -]\d{{4}}){{2}}(?:[ -]\d{{1,4}}){{1,2}}{NOT_BEFORE_DIGIT}",
            0.4,
        ),
        (
            "card_amex",
            rf"{NOT_AFTER_DIGIT}3[47]\d{{2}}[ -]\d{{6}}[ -]\d{{5}}{NOT_BEFORE_DIGIT}",
            0.4,
        ),
        ("card_plain", rf"{NOT_AFTER_DIGIT}\d{{13,19}}{NOT_BEFORE_DIGIT}", 0.3),
        # Irregular groups, as OCR of a picture often gives ("4111 111111111111"); like the
        # others, it counts only with a known prefix and a valid Luhn digit.
        (
            "card_irregular",
            rf"{NOT_AFTER_DIGIT}\d{{2,8}}(?:[ -]\d{{2,12}}){{1,3}}{NOT_BEFORE_DIGIT}",
            0.3,
        ),
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

    @override
    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        cues = [m.end() for m in _CARD_CUE.finditer(text, timeout=REGEX_TIMEOUT.secs)]
        if not cues:
            return results
        taken = [(r.start, r.end) for r in results]
        for match in _MAESTRO.finditer(text, timeout=REGEX_TIMEOUT.secs):
            start, end = match.span()
            digits = digits_only(match.group())
            if (
                len(digits) > 19
                or not digits.startswith(_MAESTRO_PREFIXES)
                or not luhn_valid(digits)
                or any(s < end and start < e for s, e in taken)
                or not any(
                    0 <= start - cue <= _CUE_WINDOW and "\n\n" not in text[cue:start]
                    for cue in cues
                )
            ):
                continue
            results.append(
                make_result(
                    self.ENTITY, start, end, 1.0, type(self).__name__, "Maestro after a card word"
                )
            )
        return results
