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
    # Issue 15: a dotted quad said to be a version is not an address; one said to be an
    # address is, whatever else the sentence is about.
    pytest.param("the server runs 10.2.0.1", [], id="server-runs-version"),
    pytest.param("build 10.2.0.1", [], id="build"),
    pytest.param("v10.2.0.1", [], id="v-prefix"),
    pytest.param("firmware 10.2.0.1", [], id="firmware"),
    pytest.param("still crashing after I updated to 4.12.0.3", [], id="updated-to"),
    pytest.param("iOS 16.4.1.2 broke the pairing", [], id="operating-system"),
    pytest.param("the 10.2.0.1 update bricked it", [], id="before-update"),
    pytest.param("is 3.1.0.7-beta stable?", [], id="before-beta"),
    pytest.param("Version: 10.2.0.1", [], id="version-colon"),
    pytest.param("I'm still on 5.0.1.2, should I upgrade", [], id="still-on"),
    pytest.param("my IP is 10.2.0.1", ["10.2.0.1"], id="my-ip"),
    pytest.param("from 192.168.1.20", ["192.168.1.20"], id="from-address"),
    pytest.param("the server at 10.2.0.1 is down", ["10.2.0.1"], id="server-at"),
    pytest.param("the app runs on host 10.2.0.1", ["10.2.0.1"], id="runs-on-host"),
    pytest.param(
        "firmware 2.1 is fine but my router's IP is 10.2.0.1",
        ["10.2.0.1"],
        id="address-word-nearer-than-version-word",
    ),
    pytest.param(
        "version 3, IP address 10.2.0.1", ["10.2.0.1"], id="version-word-in-an-earlier-clause"
    ),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_ip_addresses_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
