# Chinese punctuation is the data here, on purpose. Regex patterns read better unwrapped.
# ruff: noqa: E501, RUF001
"""US_DRIVER_LICENSE: a US driver licence number next to a licence cue.

States issue many shapes (Presidio's ``UsLicenseRecognizer`` lists them): digits alone
(7-9 in most states, up to 13), a letter and 7-14 digits (California A1234567, Florida and
Michigan with 12, New Jersey with 14), two letters and digits, digits and a trailing letter
(Iowa, Vermont), New Hampshire's 12ABC12345, Washington's WDL + 9 characters; some are
written in dashed groups (Florida D123-456-78-910-0, Illinois A123-4567-8901, 2270-66-1551).
Every one of those is also an order number, a SKU or a tracking number, so the cue is part of
the pattern ("driver's license (number) (is)", "driving licence", "DL#", "license no.",
"licence number", "驾照号"; after the value only as what it is said to be: "D1234567 is my
driver's license", "A7654321 (CA DL)") and only the value is flagged: a value with no cue is
never taken. A value has 5-16 letters and digits, at least 4 of them digits, and no more
than 16 digits in a row (an 18-digit Chinese ID number after "驾驶证号" stays a
CN_RESIDENT_ID).
"""

from __future__ import annotations

from typing import ClassVar, override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import HAS_DIGIT, REGEX_TIMEOUT, KeyedValueRecognizer

_CUE = (
    r"(?:(?<![A-Za-z])(?i:(?:commercial\s+)?(?:driver['’]?s?|driving)\s+licen[cs]e(?:\s+card)?"
    r"|licen[cs]e\s*(?:no\b\.?|num\b\.?|number|#|id\b)|lic\.?\s*(?:no\b\.?|#))"
    r"|(?<![A-Za-z])(?:C?DLN?|dl)(?:\s?#|(?=\s*[:：]))?(?![A-Za-z])"
    r"|驾照|驾驶证|驾驶执照|驾证)"
)
# Between the cue and the value: "number", "no.", "is", ":", a state code ("DL CA D1234567").
_FILLER = (
    r"(?:[ \t]*(?:(?i:number|no\b\.?|num\b\.?|id\b|is|was|reads|:|#|=|-)|[:：#=]|号码?|是|为|"
    r"\(?[A-Z]{2}\)?(?=[ \t]*[:#]?[ \t]*[A-Za-z0-9]*\d))[ \t]*){0,4}"
)
# Groups of letters, digits (and Washington's "*") joined by "-" or one space; a group after a
# space has a digit, so "A1234567 for" stops before the word.
_GROUP = r"[A-Za-z0-9*]*\d[A-Za-z0-9*]*"
_VALUE = rf"(?P<value>{_GROUP}(?:-[A-Za-z0-9*]+|[ ](?={_GROUP}(?![A-Za-z0-9*])){_GROUP}){{0,5}})(?![A-Za-z0-9*]|-[A-Za-z0-9])"
_PATTERN = regex.compile(rf"{_CUE}{_FILLER}[ \t]*{_VALUE}")
# The cue after the value, said of it: "D1234567 is my driver's license", "A7654321 (CA DL)";
# not a licence accessory ("... is my driver's license holder").
_CUE_AFTER = (
    r"(?:(?i:(?:driver['’]?s?|driving)\s+licen[cs]e)|(?<![A-Za-z])C?DL(?![A-Za-z])|驾照|驾驶证)"
    r"(?![ \t]*(?i:holders?|wallets?|cases?|covers?|sleeves?|pouch|clips?|photo|picture)\b)"
)
_PATTERN_AFTER = regex.compile(
    rf"(?<![A-Za-z0-9*-]){_VALUE}[ \t]*(?:\([ \t]*|(?i:is|was)[ \t]+(?i:my|the)[ \t]+)"
    rf"(?:[A-Z]{{2}}[ \t]+)?{_CUE_AFTER}"
)

_LONGEST_DIGIT_RUN = 16


def _plausible(value: str) -> bool:
    chars = [c for c in value if c.isalnum() or c == "*"]
    digits = sum(c.isdigit() for c in chars)
    longest_run = max(len(run) for run in regex.findall(r"\d+", value, timeout=REGEX_TIMEOUT.secs))
    # 15 digits alone is an old Chinese ID number, never a US licence.
    return (
        5 <= len(chars) <= 16
        and digits >= 4
        and longest_run <= _LONGEST_DIGIT_RUN
        and not (value.isdigit() and len(value) == 15)
    )


class EnUsDriverLicenseRecognizer(KeyedValueRecognizer):
    ENTITY = "US_DRIVER_LICENSE"
    COUNTRY = "us"
    CONTEXT_WORDS = (
        "driver's license",
        "driver’s license",
        "drivers license",
        "driver license",
        "driving licence",
        "driving license",
        "licence",
        "license",
        "DL",
        "驾照",
        "驾驶证",
    )
    KEYED_PATTERNS: ClassVar[tuple[tuple[str, regex.Pattern[str], float], ...]] = (
        ("cue_then_number", _PATTERN, 0.85),
        ("number_then_cue", _PATTERN_AFTER, 0.85),
    )
    EXPLANATION = "driver licence number after a licence cue"

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        if HAS_DIGIT.search(text, timeout=REGEX_TIMEOUT.secs) is None:
            return []
        return [
            result
            for result in super().find(text, nlp_artifacts)
            if _plausible(text[result.start : result.end])
        ]
