# Chinese labels are the data here, on purpose.
# ruff: noqa: RUF001
"""Table-driven checks of generic_phonenumbers_recognizer (PHONE_NUMBER) through the detector.

Cases are messages of the chat set's dev split (tests/data/chat/chat.jsonl), never its test
split, plus the two numbers issue 15 names.
"""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import assert_entity_values

ENTITY = "PHONE_NUMBER"

CASES = [
    pytest.param("Mobile: 0490 39 07 81", ["0490 39 07 81"], id="label-mobile-grouped-by-twos"),
    pytest.param("Desk: +447700 921 916", ["+447700 921 916"], id="label-desk-international"),
    pytest.param("tel 537 388 772", ["537 388 772"], id="label-tel-nine-digits"),
    pytest.param(
        "whatsapp 6916 6994 if the courier gets lost", ["6916 6994"], id="hong-kong-after-label"
    ),
    pytest.param(
        "Desk: (852) 66256621 (ask for accounts)",
        ["(852) 66256621"],
        id="hong-kong-bracketed-code",
    ),
    pytest.param(
        "call me on 0985-885-779 after 6pm pls", ["0985-885-779"], id="taiwan-mobile-dashes"
    ),
    pytest.param("Mobile: (07).1806.7994", ["(07).1806.7994"], id="dotted-with-bracketed-area"),
    pytest.param("Mobile: +86-199.3583.0376", ["+86-199.3583.0376"], id="china-dots-and-dash"),
    pytest.param("Desk: 0292018534 (ask for accounts)", ["0292018534"], id="label-bare-digits"),
    pytest.param("my number is +853 6612 3456", ["+853 6612 3456"], id="macao-international"),
    pytest.param("手机：138 1234 5678", ["138 1234 5678"], id="china-mobile-chinese-label"),
    pytest.param("電話 0912-345-678", ["0912-345-678"], id="taiwan-traditional-label"),
    pytest.param("客服热线400-820-1234打不通", [], id="china-400-service-line"),
    pytest.param(
        "I would like to stop receiving messages to 0489 25 37 29",
        ["0489 25 37 29"],
        id="belgian-mobile-trunk-zero",
    ),
    pytest.param(
        "They're not answering at 516 466 638", ["516 466 638"], id="european-grouped-context"
    ),
    pytest.param(
        "Debra Neal\n082 490 1693-Office\\,+41 (0)69 979 80 58-Fax",
        ["082 490 1693", "+41 (0)69 979 80 58"],
        id="label-after-the-number",
    ),
    pytest.param(
        "On 2018-01-14 03:07:43, the Russian government formally began the process",
        [],
        id="timestamp-not-a-phone",
    ),
    pytest.param("I rang 800 820 1234 twice", [], id="china-800-service-line"),
    pytest.param("app version 10.2.0.1 crashes when I open the cart", [], id="version-string"),
    pytest.param("it's 12 345 678 steps away", [], id="unlabelled-digit-groups"),
    # Chat dev: a Chinese mobile of the 186/188 ranges after +86 has the digits of a North
    # American toll-free number ("1 866 747 7341"); the country code says which it is.
    pytest.param("tel +86 18667477341", ["+86 18667477341"], id="cn-mobile-not-toll-free"),
    pytest.param("我的手机18667477341", ["18667477341"], id="cn-mobile-written-solid"),
    pytest.param("call 1-866-747-7341 for help", [], id="north-american-toll-free"),
    pytest.param("call 1 (800) 555-0199 or 888-555-0199", [], id="toll-free-other-shapes"),
    # Bare runs after the ways people give a number in a sentence, or before "is my cell".
    pytest.param("my number is 61824093, thanks", ["61824093"], id="my-number-is"),
    pytest.param("you can reach her at 0612345678.", ["0612345678"], id="reach-her-at"),
    pytest.param("text 7219043856 when you are outside", ["7219043856"], id="text-bare-run"),
    pytest.param("47129930 is my cell", ["47129930"], id="before-is-my-cell"),
    pytest.param("my order number is 61824093", [], id="order-number-is-not-a-phone-label"),
    pytest.param("I texted 3 times about order 61824093", [], id="texted-is-not-a-label"),
    pytest.param("ph. 451 5986 (evenings)", ["451 5986"], id="ph-dot"),
    pytest.param("fax 01.84.17.61.18", ["01.84.17.61.18"], id="fax-before"),
    pytest.param("I can be reached on (99) 645-791", ["(99) 645-791"], id="can-be-reached-on"),
    pytest.param("please call me back at 780 6326", ["780 6326"], id="call-me-back-at"),
    pytest.param("Dial 516 466 638 and ask for Ana", ["516 466 638"], id="dial"),
    pytest.param("he gave me his number, 9472 7916", ["9472 7916"], id="his-number-comma"),
    pytest.param("new number 0393 1144137 pls update", ["0393 1144137"], id="new-number"),
    pytest.param("the new number of units is 4500840", [], id="new-number-of-is-not-a-label"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_phone_numbers_libphonenumber_knows_are_found(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
