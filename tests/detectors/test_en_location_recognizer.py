"""Table-driven checks of en_location_recognizer (LOCATION) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "LOCATION"

CASES = [
    pytest.param("I moved to Chicago last month", ["Chicago"], id="city"),
    pytest.param(
        "Mr. Leiva flew to LEPPEN on Tuesday morning.", ["LEPPEN"], id="capitals-after-cue"
    ),
    pytest.param(
        "Coden is a design agency based in NAANTALI.", ["NAANTALI"], id="based-in-capitals"
    ),
    pytest.param("are you going to Playlist Live in February ?", [], id="month-after-cue"),
    pytest.param("the last scan was at the Hong Kong hub", [], id="issue-hub-not-a-place"),
    pytest.param("The invoice INV-7148115 total is 238", [], id="invoice-not-a-place"),
    # Issue 15, presidio dev: countries the small NER model misses, in capitals too.
    pytest.param(
        "Uruguay leader gives 'kill without warning' order", ["Uruguay"], id="country-alone"
    ),
    pytest.param(
        "Agatha Á Ottarsdóttir\n\nEBEN\nAustria",
        ["EBEN", "Austria"],
        id="town-and-country-ending-a-card",
    ),
    pytest.param("SLOVENIA", ["SLOVENIA"], id="country-in-capitals"),
    pytest.param("Thanks\nCanada", ["Canada"], id="closing-word-above-a-country-not-a-town"),
    pytest.param("Jordan said the parcel was fine", [], id="country-name-that-is-a-person's"),
    # Presidio dev shapes: a town of the gazetteer or with an English town ending after "in",
    # "to", "from"; a gazetteer town without such a word is not enough.
    pytest.param(
        "Celebrating its 10th year in Kędzierzyn-Koźle, the festival invites singers",
        ["Kędzierzyn-Koźle"],
        id="gazetteer-town-after-in",
    ),
    pytest.param(
        "songwriters from around the world come to Auroratown to share music",
        ["Auroratown"],
        id="town-ending-after-to",
    ),
    pytest.param("Montijo bridge is falling down.", [], id="gazetteer-town-without-a-cue"),
    pytest.param(
        "Tórshavn is where I grew up, and my sister still lives there",
        ["Tórshavn"],
        id="place-before-is-where-i",
    ),
    pytest.param("Cheers from Kvalsund!", [], id="unknown-town-after-cheers-from"),
    pytest.param("Greetings from Kvalsund!", ["Kvalsund"], id="unknown-town-after-greetings-from"),
    pytest.param(
        "my grandmother came from Oberwölz Stadt in the fifties",
        ["Oberwölz Stadt"],
        id="came-from",
    ),
    pytest.param(
        "we drove up to Lake Vellmore on sunday", ["Lake Vellmore"], id="town-prefix-after-to"
    ),
    pytest.param("see you near Eastgate tomorrow", ["Eastgate"], id="town-ending-gate"),
    pytest.param("That is where I left my keys", [], id="is-where-without-a-place"),
    pytest.param("Here is where I want it delivered", [], id="here-is-where"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_english_locations_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
