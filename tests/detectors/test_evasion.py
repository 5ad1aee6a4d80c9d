# Look-alike digits, invisible characters and emoji are the data here, on purpose.
# ruff: noqa: RUF001
"""Sensitive values written to slip past detection are still found, and cover what was typed.

The corpus (tests/detectors/evasion.py) is seeded: every value, every transformation and
every sentence is the same on every run.
"""

from __future__ import annotations

import pytest

from detectors import DetectionConfig, Detector, Finding
from tests.detectors.evasion import TRANSFORMS, Variant, variants

CORPUS = variants()


def test_when_corpus_is_generated_then_it_holds_at_least_500_variants_the_same_each_time() -> None:
    assert len(CORPUS) >= 500
    assert variants() == CORPUS
    assert len({v.id for v in CORPUS}) == len(CORPUS)


def _problem(variant: Variant, findings: list[Finding], sensitive: bool) -> str | None:
    right = [f for f in findings if f.entity_type == variant.entity_type]
    if not any(f.start == variant.start and f.end == variant.end for f in right):
        found = [(f.entity_type, f.start, f.end) for f in findings]
        return (
            f"{variant.id}: {variant.text!r} wants {variant.entity_type} at "
            f"{variant.start}-{variant.end}, found {found}"
        )
    if sensitive and not all(f.sensitive for f in right):
        return f"{variant.id}: {variant.entity_type} found but not sensitive"
    return None


@pytest.mark.parametrize("transform", list(TRANSFORMS))
def test_when_value_is_disguised_then_it_is_found_with_its_entity_and_covers_what_was_typed(
    detector: Detector, detection_config: DetectionConfig, transform: str
) -> None:
    chosen = [v for v in CORPUS if v.transform == transform]
    assert chosen
    results = detector.detect_batch([(v.text, None, None) for v in chosen])
    problems = [
        p
        for v, findings in zip(chosen, results, strict=True)
        if (p := _problem(v, findings, detection_config.category_of(v.entity_type)[1]))
    ]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("text", "entity_type", "value"),
    [
        pytest.param(
            "card 4111\u00a01111\u00a01111\u00a01111",
            "CREDIT_CARD",
            "4111\u00a01111\u00a01111\u00a01111",
            id="issue-nbsp-card",
        ),
        pytest.param(
            "身份证 1101\u200b0119\u200b9003\u200b0785\u200b15",
            "CN_RESIDENT_ID",
            "1101\u200b0119\u200b9003\u200b0785\u200b15",
            id="issue-zwsp-resident-id",
        ),
        pytest.param(
            "身份证 1101 0119 9003 0785 15",
            "CN_RESIDENT_ID",
            "1101 0119 9003 0785 15",
            id="resident-id-any-grouping",
        ),
        pytest.param(
            "card ٤١١١ ١١١١ ١١١١ ١١١١ ok",
            "CREDIT_CARD",
            "٤١١١ ١١١١ ١١١١ ١١١١",
            id="arabic-indic-card",
        ),
        pytest.param(
            "card 4111\n1111\n1111\n1111\n",
            "CREDIT_CARD",
            "4111\n1111\n1111\n1111",
            id="one-group-per-line",
        ),
    ],
)
def test_when_issue_examples_are_sent_then_the_typed_value_is_covered(
    detector: Detector, text: str, entity_type: str, value: str
) -> None:
    start = text.index(value)
    findings = [f for f in detector.detect(text) if f.entity_type == entity_type]
    assert [(f.start, f.end, f.sensitive) for f in findings] == [(start, start + len(value), True)]


@pytest.mark.parametrize(
    ("text", "entity_type", "value"),
    [
        pytest.param(
            "at 31.230416, 121.473701", "GPS_COORDINATES", "31.230416, 121.473701", id="gps"
        ),
        pytest.param(
            "at -20.1304,-138.9384 now", "GPS_COORDINATES", "-20.1304,-138.9384", id="gps-negative"
        ),
        pytest.param("server 192.168.100.200 is down", "IP_ADDRESS", "192.168.100.200", id="ipv4"),
        pytest.param(
            "reach me at 207.504.9996x2283", "PHONE_NUMBER", "207.504.9996x2283", id="nanp-dotted"
        ),
        pytest.param(
            "she was born on 2012.05.01 at noon", "DATE_OF_BIRTH", "2012.05.01", id="dob-dotted"
        ),
        pytest.param(
            "call 13812345678/2 for sales", "PHONE_NUMBER", "13812345678", id="phone-and-extension"
        ),
        pytest.param(
            "call 138 0013 8000 / 139 0013 9000",
            "PHONE_NUMBER",
            "138 0013 8000",
            id="two-phones-first",
        ),
        pytest.param(
            "call 138 0013 8000 / 139 0013 9000",
            "PHONE_NUMBER",
            "139 0013 9000",
            id="two-phones-second",
        ),
    ],
)
def test_when_a_number_is_written_as_usual_then_collapsing_leaves_its_recognizer_alone(
    detector: Detector, text: str, entity_type: str, value: str
) -> None:
    start = text.index(value)
    spans = [(f.start, f.end) for f in detector.detect(text) if f.entity_type == entity_type]
    assert (start, start + len(value)) in spans


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("the order came on 2026.11.26 at 10.30", id="date-and-time"),
        pytest.param("it costs ¥1,234,567.89 in total", id="price-thousands"),
        pytest.param("price 12.345.678,90 EUR", id="price-european"),
        pytest.param("update to version 10.0.19045.3930 please", id="version-string"),
        pytest.param("order NB-20261126001 and order 2026-1126-0045-12", id="order-numbers"),
        pytest.param("rooms 12/34/56/78/90 are free", id="slashed-list"),
        pytest.param("score 4111.1111.1111.1112 points", id="luhn-invalid-card-shape"),
        pytest.param("身份证 110101.19900307.8516", id="resident-id-bad-check-digit"),
        pytest.param(
            "sizes 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16", id="number-list"
        ),
        pytest.param("page 1🙂2🙂3🙂4🙂5🙂6🙂7🙂8🙂9", id="emoji-between-small-numbers"),
    ],
)
def test_when_look_alikes_are_collapsed_then_no_sensitive_finding_appears(
    detector: Detector, text: str
) -> None:
    assert [f for f in detector.detect(text) if f.sensitive] == []
