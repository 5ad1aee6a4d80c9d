# Chinese labels are the data here, on purpose; patterns read better unwrapped.
# ruff: noqa: E501, RUF001
"""PHONE_NUMBER from Google's libphonenumber metadata (the ``phonenumbers`` package).

Complements the shape patterns of generic_phone_recognizer.py and cn_phone_recognizer.py:
every run of digit groups split by spaces, dots, dashes or brackets is parsed

- as an international number when it starts with ``+``, ``00`` or a bracketed calling code
  of the shop's regions (``(852)``, ``(853)``, ``(886)``, ``(86)``): valid 0.75, possible 0.6;
- as a national number of mainland China, Hong Kong, Macao or Taiwan (``REGIONS``): valid
  0.6 when grouped or 10+ digits long, else 0.4 (an 8-digit run needs a context word);
- as a national number of another country (``OTHER_REGIONS``: Europe, the Americas,
  Oceania, Africa and Asia) when written in groups ("0489 25 37 29", "078 8098 1119",
  "699 956 915"): valid 0.5 with a trunk 0 and three or more groups, else 0.4 (a context
  word is needed: "call", "messages to", "answering at");
- after a label ("Mobile:", "Desk:", "Tel", "ph.", "fax", "WhatsApp", "my number is", "his
  number, ", "new number", "reach her at", "call me back at", "can be reached on", "dial",
  "text", "电话", "手机" ...), or before one ("085 175 7641-Office", "416 60 039 office",
  "930.167.3943 fax", "... is my cell"), any 7-15 digit run
  scores 0.85, whatever the country: people label their number when they give it.

A run that begins with an ISO date ("2018-01-14 03:07") is a timestamp, never a number.

A number libphonenumber types as toll-free, shared-cost, premium-rate or universal access
(China's 400 and 800 service lines, 0800/1-800 numbers) is a business's, not a person's, and
is dropped. Offsets are those of the run as written.
"""

from __future__ import annotations

from typing import override

import phonenumbers
import regex
from phonenumbers import PhoneNumberType
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result

REGIONS = ("CN", "HK", "MO", "TW")
# Countries whose national formats are tried for a grouped run that no shop region reads.
OTHER_REGIONS = (
    "GB", "IE", "FR", "DE", "NL", "BE", "LU", "CH", "AT", "IT", "ES", "PT", "DK", "SE", "NO",
    "FI", "IS", "EE", "LV", "LT", "PL", "CZ", "SK", "HU", "SI", "HR", "RS", "GR", "CY", "RO",
    "BG", "UA", "TR", "IL", "AE", "SA", "EG", "ZA", "NG", "KE", "IN", "PK", "BD", "SG", "MY",
    "TH", "VN", "PH", "ID", "JP", "KR", "AU", "NZ", "US", "CA", "MX", "BR", "AR", "CL", "CO",
)  # fmt: skip
BRACKETED_CODES = ("852", "853", "886", "86")
BUSINESS_TYPES = frozenset(
    {
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.UAN,
    }
)
MIN_DIGITS = 7
MAX_DIGITS = 15  # ITU-T E.164
LABELLED_SCORE = 0.85
# Digit groups joined by one separator (space, dot, dash, a bracket, or a dot or bracket
# followed by a space); a leading +, 00 or bracket. Never across a line break.
_RUN = regex.compile(
    r"(?<![0-9A-Za-z_+./\-])(?:\+\s?|\(\+?)?\d+(?:(?:[ \t.\-]|\)[ \t.\-]?|[ \t]?\(|\.[ \t])\d+)*\)?"
    r"(?![0-9A-Za-z_]|[.\-]\d)"
)
_LABEL = regex.compile(
    r"(?:\b(?:mobile|mob|cell(?:phone)?|desk|tel|telephone|phone|ph|fax|whatsapp|viber|line|"
    r"landline|home|work|office|(?:call|ring|text|reach|phone|contact|dial)(?: (?:me|her|him|us|them))?(?: back)?(?: (?:on|at))?|"
    r"(?:be |is |am |are )?reached (?:on|at)|"
    r"(?:my|his|her|our|their|new) (?:new )?(?:(?:phone|mobile|cell|contact|home|work) )?number)"
    r"(?:\s?(?:no\.?|number|#))?|电话|手机|手机号|手机号码|联系电话|联系方式|座机|電話|手機|"
    r"手機號碼|聯絡電話)\.?\s?(?:is\s)?[:：=,]?\s*$",
    regex.IGNORECASE,
)
_LABEL_AFTER = regex.compile(
    r"^[ \t]?[-–(]?[ \t]?(?:mobile|mob|cell|office|fax|home|work|desk|tel|phone|landline|whatsapp|"
    r"is (?:my|his|her|our|their) (?:cell|mobile|phone|number|landline))\b",
    regex.IGNORECASE,
)
_ISO_DATE = regex.compile(r"\d{4}-\d{2}-\d{2}(?!\d)")
_LABEL_WINDOW_CHARS = 24


class GenericPhonenumbersRecognizer(ProjectLocalRecognizer):
    ENTITY = "PHONE_NUMBER"
    CONTEXT_WORDS = (
        "phone", "call", "mobile", "cell", "tel", "number", "contact", "whatsapp", "reach me",
        "text me", "messages to", "answering", "fax", "sms", "电话", "手机", "号码", "联系", "致电", "打给", "電話", "手機",
    )  # fmt: skip

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        results = []
        for match in _RUN.finditer(text, timeout=REGEX_TIMEOUT.secs):
            start, end = match.span()
            value = match.group()
            if value.endswith(")") and "(" not in value:
                value, end = value[:-1], end - 1
            if _ISO_DATE.match(value, timeout=REGEX_TIMEOUT.secs):
                continue
            scored = self.score(
                value, text[max(0, start - _LABEL_WINDOW_CHARS) : start], text[end : end + 16]
            )
            if scored is not None:
                score, why = scored
                name = type(self).__name__
                results.append(make_result(self.ENTITY, start, end, score, name, why))
        return results

    @staticmethod
    def score(value: str, before: str, after: str = "") -> tuple[float, str] | None:
        digits = "".join(ch for ch in value if ch.isdigit())
        if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
            return None
        best: tuple[float, str] | None = None
        international = international_form(value, digits)
        candidates = (
            [(international, None)] if international else [(value, region) for region in REGIONS]
        )
        for written, region in candidates:
            try:
                number = phonenumbers.parse(written, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.number_type(number) in BUSINESS_TYPES:
                return None
            if phonenumbers.is_valid_number(number):
                grouped = len(digits) >= 10 or any(not ch.isdigit() for ch in value)
                score = 0.75 if international else (0.6 if grouped else 0.4)
                best = max(best or (0.0, ""), (score, f"valid {region or 'international'} number"))
            elif international and phonenumbers.is_possible_number(number):
                best = max(best or (0.0, ""), (0.6, "possible international number"))
        if best is None and not international:
            best = other_region_score(value, digits)
        if _LABEL.search(before, timeout=REGEX_TIMEOUT.secs):
            return max(best or (0.0, ""), (LABELLED_SCORE, "digits after a phone label"))
        if _LABEL_AFTER.match(after, timeout=REGEX_TIMEOUT.secs):
            return max(best or (0.0, ""), (LABELLED_SCORE, "digits before a phone label"))
        return best


def other_region_score(value: str, digits: str) -> tuple[float, str] | None:
    """A grouped run valid as a national number of one of ``OTHER_REGIONS``."""
    groups = len(regex.findall(r"\d+", value, timeout=REGEX_TIMEOUT.secs))
    if groups < 2 or len(digits) < 8:
        return None
    for region in OTHER_REGIONS:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        if phonenumbers.number_type(number) in BUSINESS_TYPES:
            return None
        score = 0.5 if digits.startswith("0") and groups >= 3 else 0.4
        return score, f"valid {region} number"
    return None


def international_form(value: str, digits: str) -> str | None:
    """``+CC...`` when the run is written with a country code, else None."""
    stripped = value.lstrip("(")
    if stripped.startswith("+"):
        return "+" + digits
    if value.startswith("00") and not value.startswith("000"):
        return "+" + digits[2:]
    for code in BRACKETED_CODES:
        if value.startswith(f"({code})"):
            return "+" + digits
    return None
