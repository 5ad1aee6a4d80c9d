"""Addresses written in lower case, through the real detector (issue 15).

The address recognizers read capitals; the engine reads an English text with a number before
a lower-case word a second time with every word capitalised. Sentences written here.
"""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import assert_entity_values

ENTITY = "STREET_ADDRESS"

CASES = [
    pytest.param(
        "i live at 807 deborah estate apt. 573, stephensshire, ia 02219",
        ["807 deborah estate apt. 573, stephensshire, ia 02219"],
        id="us-address-with-unit-town-state-zip",
    ),
    pytest.param(
        "send the refund to 221 baker street, london",
        ["221 baker street, london"],
        id="uk-street-and-town",
    ),
    pytest.param(
        "my address is 12 harbour road, bristol", ["12 harbour road, bristol"], id="after-cue"
    ),
    pytest.param(
        "pls ship it to ul. kwiatowa 12, 31-042 kraków",
        ["ul. kwiatowa 12, 31-042 kraków"],
        id="cue-words-before-are-not-the-address",
    ),
    pytest.param(
        "I'll meet you at Tungata 11 Rott Crossroad",
        ["Tungata 11"],
        id="capitalised-address-as-before",
    ),
    pytest.param("order 123 arrived late", [], id="order-number"),
    pytest.param("i ordered 2 blue shirts and 3 red ones", [], id="quantities"),
    pytest.param("we need 12 more boxes at the warehouse, thanks", [], id="quantity-and-place"),
    pytest.param("my order 55 was delivered to the wrong door", [], id="order-and-door"),
    pytest.param("the delivery takes 3 to 5 days, is that right?", [], id="delivery-time-range"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_an_address_is_written_in_lower_case_then_it_is_found_as_one_span(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
