"""DEVICE_ID: IMEI (15 digits, Luhn check digit per 3GPP TS 23.003) and MAC addresses (EUI-48)."""

from __future__ import annotations

from typing import ClassVar, override

from detectors.recognizers.base import (
    NOT_AFTER_ALNUM,
    NOT_AFTER_DIGIT,
    NOT_BEFORE_ALNUM,
    NOT_BEFORE_DIGIT,
    PatternSpec,
    ProjectPatternRecognizer,
)
from detectors.recognizers.checksums import digits_only, luhn_valid


class GenericDeviceIdRecognizer(ProjectPatternRecognizer):
    ENTITY = "DEVICE_ID"
    PATTERNS_SPEC: ClassVar[tuple[PatternSpec, ...]] = (
        (
            "imei",
            rf"{NOT_AFTER_DIGIT}\d{{2}}[ -]?\d{{6}}[ -]?\d{{6}}[ -]?\d{NOT_BEFORE_DIGIT}",
            0.25,
        ),
        (
            "mac",
            rf"{NOT_AFTER_ALNUM}[0-9A-F]{{2}}(?:([:-])[0-9A-F]{{2}})(?:\1[0-9A-F]{{2}}){{4}}{NOT_BEFORE_ALNUM}",
            0.6,
        ),
    )
    CONTEXT_WORDS = (
        "imei", "meid", "serial", "device", "mac", "mac address", "串号", "设备号", "设备",
        "序列号", "手机串号", "MAC地址",
    )  # fmt: skip
    CHECK_EXPLANATION = "IMEI Luhn check digit valid"

    @override
    def validate_result(self, pattern_text: str) -> bool | None:
        if ":" in pattern_text or pattern_text.count("-") == 5:
            return None
        # A valid Luhn digit is necessary but not enough (one number in ten passes), so it
        # keeps the weak score and still needs a context word; a failed one is dropped.
        return None if luhn_valid(digits_only(pattern_text)) else False
