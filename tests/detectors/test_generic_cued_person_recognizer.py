# One-row-per-case tables read better unwrapped; Chinese punctuation is data.
# ruff: noqa: RUF001
"""Table-driven checks of names after a cue (generic_cued_person_recognizer), names in any
alphabet from spaCy (en_person_recognizer) and traditional Chinese surnames, through the
real detector.

Messages are from the chat set's dev split (tests/data/chat/chat.jsonl) and issue 15; none
from its test split.
"""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import assert_entity_values

ENTITY = "PERSON"

CASES = [
    pytest.param("My name is Antti Poutiainen", ["Antti Poutiainen"], id="issue-finnish"),
    pytest.param("My name is Ludmiła", ["Ludmiła"], id="issue-polish-first-name"),
    pytest.param(
        "Mr. Kozłowski will pick it up for me on friday", ["Kozłowski"], id="title-surname-alone"
    ),
    pytest.param(
        "Name: Gústav Sófóníasson\nMobile: 150-9004-3175",
        ["Gústav Sófóníasson"],
        id="icelandic-not-across-line",
    ),
    pytest.param(
        "hi im مُتوكّل بنو الأسمر lol the box came open", ["مُتوكّل بنو الأسمر"], id="arabic-script"
    ),
    pytest.param(
        "can you send it to my sister श्याम मजूमदार? same address", ["श्याम मजूमदार"], id="devanagari"
    ),
    pytest.param(
        "please put 江雅惠 as the recipient, it's a gift", ["江雅惠"], id="han-in-english"
    ),
    pytest.param("Mr. 謝 will pick it up for me on friday", ["謝"], id="title-han-surname"),
    pytest.param("it's for John Đặng, phone 135 5050 1672", ["John Đặng"], id="vietnamese"),
    pytest.param(
        "please put Gamalíel Reynarsdóttir as the recipient, it's a gift",
        ["Gamalíel Reynarsdóttir"],
        id="icelandic-recipient",
    ),
    pytest.param(
        "my name is mohammad shaw and the box came open",
        ["mohammad shaw"],
        id="lower-case-after-my-name-is",
    ),
    pytest.param("我叫謝美慧，昨天下的单还没发货", ["謝美慧"], id="traditional-surname"),
    pytest.param(
        "Hello, this is Mr. Dustin Wirth. Who are you?", ["Dustin Wirth"], id="title-not-a-name"
    ),
    pytest.param(
        "mr. elliott flew to finnbogastaðir on friday morning.", ["elliott"], id="lower-case-title"
    ),
    pytest.param("What's your last name? Turgeon", ["Turgeon"], id="answer-to-name-question"),
    pytest.param("Maybe it's under Júlia Gyarmathy", ["Júlia Gyarmathy"], id="booked-under"),
    pytest.param(
        'Gabriel: "Who are you?"\nSara:"I\'m Misty\'s daughter".',
        ["Gabriel", "Sara", "Misty"],
        id="name-before-a-relation",
    ),
    pytest.param(
        ">Marta Palermo\n>Cityscan\n>Marta Palermo\n>1072 Pohlstrasse 9\n>Suite 858",
        ["Marta Palermo", "Marta Palermo"],
        id="name-line-in-a-signature",
    ),
    pytest.param("Best Regards\nCustomer Service\nOrder 12345", [], id="heading-lines-not-names"),
    # Issue 15, presidio dev: a contact card headed by a lower-case name, a name with particles.
    pytest.param(
        "leone mazzi\n\nnurse\n\npersonal info:\nphone:\n0393 1144137",
        ["leone mazzi"],
        id="lower-case-card-head",
    ),
    pytest.param(
        "bertram m. jørgensen\n\nsoldier\n\ne-mail:\nbertrammjorgensen@armyspy.com",
        ["bertram m. jørgensen"],
        id="lower-case-card-head-initial",
    ),
    pytest.param(
        "good morning team\nmy order is late\ncall 555 123 4567", [], id="lower-case-greeting-line"
    ),
    pytest.param(
        "Maika van de Noort\nEmployment manager\n33787 590 Edington Drive",
        ["Maika van de Noort"],
        id="name-line-with-particles",
    ),
    pytest.param("Sometimes people call me Csanád", ["Csanád"], id="call-me"),
    pytest.param(
        'Alice: "Who are you?"\nAlice:"I\'m Christopher\'s daughter".',
        ["Alice", "Alice", "Christopher"],
        id="speaker-of-a-quoted-line",
    ),
    pytest.param("If you miss speaking French you guys could practice", [], id="miss-is-a-verb"),
    pytest.param("FOLLOW ME PLZ CAUSE IM HAVIN A BAD DAY", [], id="shouting-after-im"),
    pytest.param("My name is JOHN SMITH", ["JOHN SMITH"], id="capitals-after-my-name-is"),
    pytest.param("this is ridiculous, where is my order", [], id="lower-case-word-after-this-is"),
    pytest.param("I am waiting for my refund", [], id="verb-after-i-am"),
    pytest.param("called Amazon and they said to write here", [], id="brand-after-called"),
    pytest.param("im so angry", [], id="chat-adjective"),
    # Issue 15, presidio dev: a name the message addresses, the other person of "said X to Y".
    pytest.param(
        "Aloisia, can I please speak to your boss?", ["Aloisia"], id="addressed-before-a-request"
    ),
    pytest.param("Sorry, can you check my order?", [], id="interjection-before-a-request"),
    pytest.param("Hello, could you help me", [], id="greeting-before-a-request"),
    pytest.param(
        "I'm so jealous! said Željko to Teresa", ["Željko", "Teresa"], id="said-one-to-another"
    ),
    # Chat dev shapes: lower-case chat, a known given name after a cue.
    pytest.param(
        "hi im michael jackson lol the box came open",
        ["michael jackson"],
        id="lower-case-known-name-after-im",
    ),
    pytest.param("hi im marek lol the box came open", ["marek"], id="lower-case-given-name"),
    pytest.param("im sure it will come", [], id="lower-case-word-after-im-not-a-name"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_a_name_follows_a_cue_then_it_is_found_whatever_its_alphabet(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
