# Chinese punctuation and full-width characters are the data here, on purpose. Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501, RUF001
"""Occurrences of the customer's own values on file (name, phone, address), however written.

Built per request as a Presidio ad-hoc recognizer: spacing, dashes, a +86/0086 prefix, a
masked middle ("138****5678"), "尾号5678" / "ending in 5678", the surname with an honorific,
and parts of the address are all matched, with a high score.
"""

from __future__ import annotations

from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.findings import KnownCustomer
from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result
from detectors.recognizers.cn.cn_person_recognizer import COMPOUND_SURNAMES
from detectors.text import is_cjk, normalize

SCORE = 0.95
_GAP = r"[\s\-.()]*"
_SPLIT_ADDRESS = regex.compile(r"[,，\n;；]+")
_CN_DIVISIONS = "省市区县旗镇乡路街道巷弄号"


def _flexible(value: str) -> str:
    """A regex for ``value`` with any whitespace between its characters."""
    chars = [c for c in value if not c.isspace()]
    return r"\s*".join(regex.escape(c) for c in chars)


def phone_patterns(phone: str) -> list[tuple[str, str]]:
    digits = "".join(c for c in normalize(phone) if c.isdigit())
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < 7:
        return []
    core = _GAP.join(digits)
    patterns = [
        ("phone on file", rf"(?<!\d)(?:(?:\+|00)?\d{{1,3}}{_GAP})?{core}(?!\d)"),
        (
            "masked phone on file",
            rf"(?<!\d){_GAP.join(digits[:3])}[\s-]?[*xX•]{{3,6}}[\s-]?{_GAP.join(digits[-4:])}(?!\d)",
        ),
        (
            "last digits of phone on file",
            rf"(?:尾号|后四位|末四位|ending(?:\sin|\swith)?|ends\swith|last\s(?:4|four)(?:\sdigits)?)"
            rf"\s*(?:是|为|:|：|is)?\s*(?P<value>{digits[-4:]})(?!\d)",
        ),
    ]
    return patterns


def name_patterns(name: str) -> list[tuple[str, str]]:
    name = normalize(name).strip()
    if not name:
        return []
    patterns = [("name on file", _flexible(name))]
    if any(is_cjk(c) for c in name):
        surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]
        given = name[len(surname) :]
        patterns.append(("surname on file", rf"{regex.escape(surname)}(?:先生|女士|小姐|老师)"))
        if len(given) >= 2:
            patterns.append(("given name on file", regex.escape(given)))
    else:
        patterns.extend(
            ("part of name on file", rf"(?<![A-Za-z]){regex.escape(part)}(?![A-Za-z])")
            for part in name.split()
            if len(part) >= 3 and part[0].isupper()
        )
    return patterns


def address_patterns(address: str) -> list[tuple[str, str]]:
    address = normalize(address).strip()
    if not address:
        return []
    patterns = [("address on file", _flexible(address))]
    for part in _SPLIT_ADDRESS.split(address, timeout=REGEX_TIMEOUT.secs):
        part = part.strip()
        if len(part) >= 5 and part != address:
            patterns.append(("part of address on file", _flexible(part)))
    if any(is_cjk(c) for c in address):
        for index, char in enumerate(address[:-4]):
            tail = address[index + 1 :].strip()
            if char in _CN_DIVISIONS and len(tail) >= 5:
                patterns.append(("part of address on file", _flexible(tail)))
    return patterns


class KnownCustomerRecognizer(ProjectLocalRecognizer):
    """Ad-hoc recognizer for one request's known customer."""

    ENTITY = "PERSON"

    def __init__(self, known: KnownCustomer, supported_language: str) -> None:
        super().__init__(supported_language=supported_language)
        self.supported_entities = ["PERSON", "PHONE_NUMBER", "STREET_ADDRESS"]
        self._patterns: list[tuple[str, str, regex.Pattern[str]]] = []
        for entity, values in (
            ("PERSON", name_patterns(known.name or "")),
            ("PHONE_NUMBER", phone_patterns(known.phone or "")),
            ("STREET_ADDRESS", address_patterns(known.address or "")),
        ):
            for why, pattern in values:
                self._patterns.append((entity, why, regex.compile(pattern, regex.IGNORECASE)))

    @override
    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        return self.find_or_refuse(text, nlp_artifacts)  # every entity; fails closed too

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        results = []
        for entity, why, pattern in self._patterns:
            for match in pattern.finditer(text, timeout=REGEX_TIMEOUT.secs):
                span = match.span("value") if "value" in pattern.groupindex else match.span()
                if span[1] > span[0]:
                    results.append(
                        make_result(entity, span[0], span[1], SCORE, type(self).__name__, why)
                    )
        return results
