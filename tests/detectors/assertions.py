"""Checks shared by the detection tests, phrased in findings."""

from __future__ import annotations

import pathlib
from collections.abc import Sequence

from detectors import Detector, Finding

Expected = Sequence[str]

# Chinese sentences with a value of each entity type in them (`context_sentences` reads it).
SENTENCES_ZH = (pathlib.Path(__file__).parent / "data" / "context_sentences_zh.txt").read_text(
    encoding="utf-8"
)


def values_of(findings: Sequence[Finding], text: str, entity_type: str) -> list[str]:
    return [text[f.start : f.end] for f in findings if f.entity_type == entity_type]


def assert_entity_values(
    detector: Detector, text: str, entity_type: str, expected: Expected, language: str | None = None
) -> list[Finding]:
    """``text`` yields exactly ``expected`` values of ``entity_type`` (in order)."""
    findings = detector.detect(text, language)
    found = values_of(findings, text, entity_type)
    assert found == list(expected), (
        f"{entity_type} in {text!r}: expected {list(expected)}, found {found}; all: {findings}"
    )
    return findings


def assert_no_findings(detector: Detector, text: str, language: str | None = None) -> None:
    findings = detector.detect(text, language)
    assert findings == [], f"expected no findings in {text!r}, found {findings}"


def assert_valid_offsets(text: str, findings: Sequence[Finding]) -> None:
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text), finding
        assert finding.category, finding
        assert 0.0 < finding.score <= 1.0, finding


def context_sentences(path_text: str, entity_type: str) -> list[tuple[str, str]]:
    """(sentence, value) pairs for ``entity_type`` from a tab-separated sentences file.

    Each line is ``ENTITY<TAB>value<TAB>sentence with {} where the value goes``.
    """
    pairs = []
    for line in path_text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        entity, value, sentence = line.split("\t")
        if entity == entity_type:
            pairs.append((sentence.replace("{}", value), value))
    return pairs
