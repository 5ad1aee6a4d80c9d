# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""Table-driven checks of generic_credit_card_recognizer (CREDIT_CARD) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "CREDIT_CARD"

CASES = [
    pytest.param("card 4111 1111 1111 1111", ["4111 1111 1111 1111"], id="visa-grouped"),
    pytest.param("pay with 4111111111111111", ["4111111111111111"], id="visa-luhn-no-context"),
    pytest.param("银联卡6217001234567890122", ["6217001234567890122"], id="unionpay-19"),
    pytest.param("卡号6222-0210-0112-3456-789", ["6222-0210-0112-3456-789"], id="unionpay-dashed"),
    pytest.param("card 4111 1111 1111 1112", [], id="bad-luhn"),
    pytest.param("Card 4111 111111111111", ["4111 111111111111"], id="ocr-irregular-groups"),
    pytest.param("card 4111 111111111112", [], id="irregular-groups-bad-luhn"),
    pytest.param("order 4111 111111111111", [], id="irregular-groups-after-a-shop-word"),
    pytest.param("ref 94111111111111111", [], id="embedded-in-longer-digits"),
    pytest.param(
        "卡号４１１１１１１１１１１１１１１１",
        ["４１１１１１１１１１１１１１１１"],
        id="full-width-digits",
    ),
    pytest.param("IMEI 490154203237518", [], id="imei-is-not-a-card"),
    # Presidio's English PII set (dev): 15-digit JCB cards of the 2131 and 1800 ranges.
    pytest.param(
        "Please block card no 213175197796454", ["213175197796454"], id="jcb-15-digits-2131"
    ),
    pytest.param("with the card 180072992103979", ["180072992103979"], id="jcb-15-digits-1800"),
    # Maestro: 12-19 digits, only after a card word (an order or tracking number is as long).
    pytest.param("my maestro card 501820345673 expired", ["501820345673"], id="maestro-12"),
    pytest.param(
        "Debit card:\n6304 1234 5674 please", ["6304 1234 5674"], id="maestro-12-grouped-next-line"
    ),
    pytest.param(
        "I lost my card. The number is 6767701234567892",
        ["6767701234567892"],
        id="maestro-16-next-sentence",
    ),
    pytest.param("CC 589312345678901236", ["589312345678901236"], id="maestro-18"),
    pytest.param("parcel 501820345673 arrived, thanks", [], id="maestro-shape-without-card-word"),
    pytest.param("card 501820345674", [], id="maestro-bad-luhn"),
    pytest.param(
        "my card was declined, can you check order 571234567899",
        [],
        id="maestro-shape-after-shop-word",
    ),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_credit_cards_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
