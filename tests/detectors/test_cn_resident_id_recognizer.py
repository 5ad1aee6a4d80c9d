# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""Table-driven checks of cn_resident_id_recognizer (CN_RESIDENT_ID) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "CN_RESIDENT_ID"

CASES = [
    pytest.param("身份证号11010519491231002X", ["11010519491231002X"], id="valid-with-context"),
    pytest.param(
        "ID 310115199003071239 please", ["310115199003071239"], id="checksum-valid-no-context"
    ),
    pytest.param("身份证号310115199003071238", [], id="bad-check-digit"),
    pytest.param("单号9310115199003071239", [], id="embedded-in-longer-digits-before"),
    pytest.param("3101151990030712391", [], id="embedded-in-longer-digits-after"),
    pytest.param(
        "身份证３１０１１５１９９００３０７１２３９",
        ["３１０１１５１９９００３０７１２３９"],
        id="full-width-digits",
    ),
    pytest.param("身份证号 310115 19900307 1239", ["310115 19900307 1239"], id="spaced"),
    pytest.param("身份证号310115199013071236", [], id="impossible-birth-month"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_resident_ids_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
