# One-row-per-case tables read better unwrapped.
# ruff: noqa: E501
"""Table-driven checks of en_person_recognizer (PERSON) through the real detector."""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import SENTENCES_ZH, assert_entity_values, context_sentences

ENTITY = "PERSON"

CASES = [
    pytest.param("Hi, this is Rachel Davis about my order", ["Rachel Davis"], id="ner-name"),
    pytest.param("Please deliver it to Mr John Smith", ["John Smith"], id="title-stripped"),
    pytest.param(
        "They had 6: Romi, Erik, Amy, Nathaniel, Donald and Kristen.",
        ["Romi", "Erik", "Amy", "Nathaniel", "Donald", "Kristen"],
        id="list-with-a-ner-name",
    ),
    pytest.param(
        "Zoolander is a 2017 Polish action-comedy film directed by Maciej Borkowski and starring Borkowski",
        ["Maciej Borkowski", "Borkowski"],
        id="found-name-mentioned-again",
    ),
    pytest.param(
        "Have you been to a Homero Portillo concert before?",
        ["Homero Portillo"],
        id="name-the-model-calls-an-organisation",
    ),
    pytest.param(
        "Russell Investments is a design agency based in KURZENKIRCHEN.",
        [],
        id="company-word-keeps-an-organisation",
    ),
    pytest.param("the parcel is broken", [], id="no-name"),
    # Presidio's English PII set (dev): a middle initial makes a name NER does not know.
    pytest.param(
        "Have you been to a Ravil G Yefimov concert before?",
        ["Ravil G Yefimov"],
        id="first-initial-surname",
    ),
    pytest.param(
        "Nikolaj N Møller will be talking in the conference",
        ["Nikolaj N Møller"],
        id="first-initial-surname-any-alphabet",
    ),
    pytest.param("Monday I Called them twice", [], id="pronoun-is-no-initial"),
    # Issue 15 and Presidio's English PII set (dev): the names lexicon, names NER does not know.
    pytest.param("Sunniva is very reliable.", ["Sunniva"], id="lexicon-given-name-alone"),
    pytest.param(
        "Kozłowski here, Antti Poutiainen asked me to write",
        ["Antti Poutiainen"],
        id="lexicon-given-name-and-surname",
    ),
    pytest.param(
        "they had 6: silvana, adam, christopher, kristina, chad and caleb.",
        ["silvana", "adam", "christopher", "kristina", "chad", "caleb"],
        id="lexicon-lower-case-list",
    ),
    pytest.param(
        "Microbilt Corporation is the brainchild of our 3 founders: Kónya, Becker and Vasquez.",
        ["Becker", "Vasquez"],  # NER takes Kónya for a place: masked, as LOCATION
        id="lexicon-list-of-surnames",
    ),
    # The chat set (dev): a known name that is a place or a model here.
    pytest.param("the box says made in India, is that right", [], id="lexicon-place-after-in"),
    pytest.param("do you have the Huawei Reno 11 in black", [], id="lexicon-model-before-number"),
    pytest.param("838 Raven Mew, Lake Lori, ACT, 2723", [], id="lexicon-town-after-lake"),
    pytest.param("Mac Sync Completed - September 17", [], id="lexicon-heading-run"),
    # WNUT-17 dev shapes: a hashtag or a handle is a topic or an account, not a name written out.
    pytest.param(
        "Have an easy fast, Rachel Davis! #YomKippur #GoHeels",
        ["Rachel Davis"],
        id="hashtags-not-names",
    ),
    pytest.param("thanks for the #NiceSong @MontansKittenSighs", [], id="hashtag-and-handle"),
    # Presidio dev shapes: a lower-case known given name before a verb or as a speaker.
    pytest.param("selma is from stillwater supercomputing inc.", ["selma"], id="lower-subject"),
    pytest.param('mika: "who are you?"', ["mika"], id="lower-speaker"),
    pytest.param("can you ask them when ramadan is", [], id="lower-festival-not-a-name"),
    # A known given name before "'s"; a known surname alone where a person is spoken of.
    pytest.param("Zofia's phone broke again", ["Zofia"], id="possessive-given-name"),
    # Written here from Faker's name shapes: double given names, particles, two surnames.
    pytest.param(
        "please forward the invoice to Anne-Sophie Lemaire",
        ["Anne-Sophie Lemaire"],
        id="lexicon-double-given-name",
    ),
    pytest.param(
        "Regards,\nJean-Claude Duvallier",
        ["Jean-Claude Duvallier"],
        id="lexicon-double-given-name-that-are-surnames-too",
    ),
    pytest.param("I work for Ellis-Ingram", [], id="lexicon-double-surname-alone-is-a-firm"),
    pytest.param(
        "Can you forward this to Tess van Nus?", ["Tess van Nus"], id="lexicon-particle-van"
    ),
    pytest.param(
        "Send it to the attention of Ravy da Luz", ["Ravy da Luz"], id="lexicon-particle-da"
    ),
    pytest.param("My manager is Pieter de Groot.", ["Pieter de Groot"], id="lexicon-particle-de"),
    pytest.param(
        "I'm writing on behalf of Leonardo Sánchez Acevedo",
        ["Leonardo Sánchez Acevedo"],
        id="lexicon-two-surnames",
    ),
    pytest.param(
        "Ask Maria Garcia Lopez Street",
        ["Maria Garcia Lopez"],
        id="lexicon-two-surnames-then-street-word",
    ),
    pytest.param("I spoke with Virtanen this morning", ["Virtanen"], id="surname-after-with"),
    pytest.param("Lindqvist said the parcel never came", ["Lindqvist"], id="surname-before-said"),
    pytest.param("Hämäläinen and I ordered the same coat", ["Hämäläinen"], id="surname-and-i"),
    pytest.param("Thanks Kovačević!", ["Kovačević"], id="surname-after-thanks"),
    pytest.param("Is Virtanen Street far from here?", [], id="surname-in-a-street-name"),
] + [
    pytest.param(sentence, [value], id=f"zh-context-{index}")
    for index, (sentence, value) in enumerate(context_sentences(SENTENCES_ZH, ENTITY))
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_message_is_scanned_then_english_names_are_exactly_the_expected_values(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
