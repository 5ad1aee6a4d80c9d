# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""Table-driven checks of generic_ip_recognizer (IP_ADDRESS) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "IP_ADDRESS"

CASES = [
    pytest.param("login from 203.0.113.45 yesterday", ["203.0.113.45"], id="ipv4"),
    pytest.param("登录IP是1.224.191.38，不是我", ["1.224.191.38"], id="ipv4-in-chinese"),
    pytest.param("IP 2001:db8:85a3::8a2e:370:7334", ["2001:db8:85a3::8a2e:370:7334"], id="ipv6"),
    pytest.param("GET /v2/42|172.16.8.201|ok", ["172.16.8.201"], id="ipv4-after-digits-and-bar"),
    pytest.param("id 7781 / 10.44.2.19 denied", ["10.44.2.19"], id="ipv4-after-digits-and-slash"),
    pytest.param("value 256.1.1.1 is not an address", [], id="octet-out-of-range"),
    pytest.param("firmware version 1.2.3.4", [], id="version-string"),
    pytest.param("meeting at 12:30:45", [], id="clock-time"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_ip_addresses_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
