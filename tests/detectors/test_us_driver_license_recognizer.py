"""Table-driven checks of us_driver_license_recognizer (US_DRIVER_LICENSE) through the real
detector: a licence number is found after a licence cue, never without one."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "US_DRIVER_LICENSE"

CASES = [
    # With a cue: the shapes states issue.
    pytest.param("My driver's license number is 5130634", ["5130634"], id="digits-after-cue"),
    pytest.param(
        "My driver's license number is F162823540116", ["F162823540116"], id="florida-letter-12"
    ),
    pytest.param(
        "my driver's license number is 2270-66-1551", ["2270-66-1551"], id="dashed-groups"
    ),
    pytest.param(
        "My driver's license number is U62928788557186", ["U62928788557186"], id="letter-14"
    ),
    pytest.param("DL# D1234567 exp 2029", ["D1234567"], id="dl-hash"),
    pytest.param("DL: CA A7654321", ["A7654321"], id="dl-with-state-code"),
    pytest.param(
        "driving licence no. 12ABC12345, issued in NH", ["12ABC12345"], id="new-hampshire"
    ),
    pytest.param("licence number A123-4567-8901.", ["A123-4567-8901"], id="illinois-dashed"),
    pytest.param("license no. 987654321 please", ["987654321"], id="license-no"),
    pytest.param("my drivers license d1234567", ["d1234567"], id="lower-case-chat"),
    pytest.param("D1234567 is my driver's license number", ["D1234567"], id="cue-after-is-my"),
    pytest.param("ID: A7654321 (CA DL)", ["A7654321"], id="cue-after-in-brackets"),
    pytest.param("5130634 is my driver license holder order", [], id="cue-after-is-an-accessory"),
    pytest.param("order 12345678, my driver's license expired", [], id="comma-is-no-cue"),
    # Without a cue the same shapes are no licence.
    pytest.param("product code F162823540116", [], id="no-cue-letter-digits"),
    pytest.param("reference 5130634 for the refund", [], id="no-cue-digits"),
    pytest.param("A7654321 shipped yesterday", [], id="no-cue-alone"),
    # Order, SKU and tracking numbers near a cue word are not taken.
    pytest.param(
        "I ordered a driver's license holder, order number ORD2026112600123",
        [],
        id="order-number-after-cue-word",
    ),
    pytest.param(
        "the driver's license wallet SKU-DL-44021 is out of stock", [], id="sku-after-cue-word"
    ),
    pytest.param("DL pouch, tracking SF1234567890123", [], id="tracking-number-after-cue-word"),
    pytest.param("my driver license is expired, order 20261126-004512", [], id="cue-not-value"),
    pytest.param("DL 12 files", [], id="too-short"),
    pytest.param("download link: dl 2 files", [], id="dl-abbreviation-without-number"),
    pytest.param("the handle model 1234567", [], id="dl-inside-a-word"),
    # Chinese text: a cue is needed there too; an 18-digit ID number stays a resident ID.
    pytest.param("货号D1234567已发货", [], id="zh-no-cue"),
    pytest.param("驾驶证号11010519491231002X", [], id="zh-cn-id-is-not-a-us-licence"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_driver_licences_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)


def test_when_licence_is_found_then_it_is_a_sensitive_identity_document(
    detector: Detector,
) -> None:
    [finding] = assert_entity_values(detector, "DL# D1234567", ENTITY, ["D1234567"])
    assert finding.category == "identity_document"
    assert finding.sensitive is True


def test_when_chinese_id_follows_licence_cue_then_it_stays_a_resident_id(
    detector: Detector,
) -> None:
    text = "驾驶证号11010519491231002X"
    findings = detector.detect(text)
    assert [(f.entity_type, text[f.start : f.end]) for f in findings] == [
        ("CN_RESIDENT_ID", "11010519491231002X")
    ]
