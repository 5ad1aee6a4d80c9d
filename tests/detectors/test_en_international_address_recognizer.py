# Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501
"""Table-driven checks of en_international_address_recognizer (STREET_ADDRESS, one span from
the street to the country) through the real detector.

Cases are texts of the dev split of Presidio's evaluation set (tests/data/external/out/
presidio.jsonl, made by fetch_corpora.py), never its test split, plus clean look-alikes.
"""

from __future__ import annotations

import pytest

from detectors import Detector
from tests.detectors.assertions import assert_entity_values

ENTITY = "STREET_ADDRESS"

CASES = [
    pytest.param(
        "The address of Persint is 6750 Koskikatu 25 Apt. 864\nArtilleros\n, CO\n Uruguay 64677",
        ["6750 Koskikatu 25 Apt. 864\nArtilleros\n, CO\n Uruguay 64677"],
        id="finnish-street-over-four-lines",
    ),
    pytest.param(
        "Please return to 72134 Coronilla 3599\nNijmegen\n, GE\n Netherlands 62971 in case of an issue.",
        ["72134 Coronilla 3599\nNijmegen\n, GE\n Netherlands 62971"],
        id="number-street-number-then-lines",
    ),
    pytest.param(
        ">Marta Palermo\n>Cityscan\n>Marta Palermo\n>1072 Pohlstrasse 9\n>Suite 858\n>Börßum\n>Germany 74285",
        ["1072 Pohlstrasse 9\n>Suite 858\n>Börßum\n>Germany 74285"],
        id="quoted-german-signature",
    ),
    pytest.param(
        ">Tzigane Lantos\n>Fritz-Armstrong\n>Tzigane Lantos\n>76556 29 Rue de Tanger\n>Suite 399\n>Cite Ben Hjel\n>Tunisia 56004",
        ["76556 29 Rue de Tanger\n>Suite 399\n>Cite Ben Hjel\n>Tunisia 56004"],
        id="street-word-first",
    ),
    pytest.param(
        "Mrs. Jennifer Alcaraz Suite 541 6343 Skogstien 106\nASKER nan 1386",
        ["Suite 541 6343 Skogstien 106\nASKER nan 1386"],
        id="unit-before-norwegian-street",
    ),
    pytest.param(
        "He lives on the north side of Rua Diadema 1903.",
        ["Rua Diadema 1903"],
        id="portuguese-no-sentence-dot",
    ),
    pytest.param(
        "The bus drops you off at 87818 Dalmatinova 68 St.",
        ["87818 Dalmatinova 68 St."],
        id="street-word-after-number",
    ),
    pytest.param(
        ">Alberico Rizzo\n>770 26 rue des lieutemants Thomazo\n>Apt. 735\n>DOLE\n>France 35910",
        ["770 26 rue des lieutemants Thomazo\n>Apt. 735\n>DOLE\n>France 35910"],
        id="lower-case-french-street",
    ),
    pytest.param(
        "Mrs. Barbara Yudina Apt. 675 62314 Mellemvej 32\nAalborg NO 9100",
        ["Apt. 675 62314 Mellemvej 32\nAalborg NO 9100"],
        id="unit-not-part-of-the-name-before",
    ),
    pytest.param("ZIP: 394 13", ["394 13"], id="labelled-postcode"),
    # Issue 15: a Finnish or Estonian address over four lines (staircase and flat, the
    # postcode before the town, Estonian street abbreviations, the flat after a dash).
    pytest.param(
        "Please send it to:\nAntti Poutiainen\nKoskikatu 25 B 12\n00100 Helsinki\nFinland",
        ["Koskikatu 25 B 12\n00100 Helsinki\nFinland"],
        id="finnish-staircase-flat-postcode-town",
    ),
    pytest.param(
        "Saaja:\nMari Tamm\nPärnu mnt 31\n10119 Tallinn\nEstonia",
        ["Pärnu mnt 31\n10119 Tallinn\nEstonia"],
        id="estonian-mnt-over-lines",
    ),
    pytest.param(
        "Saaja: Mari Tamm, Pärnu mnt 31-5, 10119 Tallinn, Estonia",
        ["Pärnu mnt 31-5, 10119 Tallinn, Estonia"],
        id="estonian-flat-after-dash",
    ),
    pytest.param(
        "ship to Mannerheimintie 12 as. 5, 00100 Helsinki",
        ["Mannerheimintie 12 as. 5, 00100 Helsinki"],
        id="finnish-flat-word",
    ),
    pytest.param("I upgraded to Windows 10 Pro 2 days ago", [], id="product-version-not-address"),
    pytest.param("Order 12345 Blue Widget 2 arrived", [], id="order-and-quantity-not-address"),
    pytest.param("I bought 3 Apple Park mugs", [], id="quantity-not-address"),
    # Issue 15, presidio dev: the street a corner's street crosses, without a number.
    pytest.param(
        "The address of Glover, Ruiz and Armstrong is the corner of Via Nuova del Campo 85 and Baranyay Mill",
        ["Via Nuova del Campo 85 and Baranyay Mill"],
        id="corner-crossing-street",
    ),
    pytest.param(
        "Ask the driver to stop at the corner of 11 Botley Road St. and Herceg Gateway St.",
        ["11 Botley Road St. and Herceg Gateway St."],
        id="corner-crossing-street-st",
    ),
    pytest.param(
        "I live at 11 Botley Road and Tom lives nearby",
        ["11 Botley Road"],
        id="and-without-a-corner-is-not-a-crossing",
    ),
    # Chat dev shapes: the house number and the postcode on the next line, which the view
    # joins into one run of digits; Finnish "-bulevardi", German "-Ring" after a hyphen.
    pytest.param(
        "new address is Schleichgasse 2259\n33007 Gerolzhofen, please update it",
        ["Schleichgasse 2259\n33007 Gerolzhofen"],
        id="house-number-and-postcode-over-a-line",
    ),
    pytest.param(
        "it's for Mira Trubin, al. Orzeszkowej 701\n68-622 Żagań, thanks",
        ["al. Orzeszkowej 701\n68-622 Żagań"],
        id="polish-postcode-over-a-line",
    ),
    pytest.param(
        "new address is Puuskabulevardi 1, 06137 Kemiönsaari, please update it",
        ["Puuskabulevardi 1, 06137 Kemiönsaari"],
        id="finnish-bulevardi",
    ),
    pytest.param(
        "Address: Gretel-Striebitz-Ring 299, 17570 Pößneck",
        ["Gretel-Striebitz-Ring 299, 17570 Pößneck"],
        id="german-ring-after-a-hyphen",
    ),
    pytest.param("my order 12345678 Shipped yesterday", [], id="long-number-without-a-street"),
    # Streets of any name, found by the postcode and town after the house number (written
    # here, in the shapes of Norwegian, Croatian, Czech, Belgian, Portuguese, Polish,
    # Hungarian, French and Canadian post).
    pytest.param(
        "please ship it to Bjørnstadveien 14B, 3050 Mjøndalen before friday",
        ["Bjørnstadveien 14B, 3050 Mjøndalen"],
        id="postcode-town-after-any-street",
    ),
    pytest.param(
        "We moved to Hjellestadmyra 7, 5259 Hjellestad last month",
        ["Hjellestadmyra 7, 5259 Hjellestad"],
        id="unknown-street-ending-before-town-and-words",
    ),
    pytest.param(
        "Send it to Ribarska obala 12c/4, 21000 Split, Croatia, thanks",
        ["Ribarska obala 12c/4, 21000 Split, Croatia"],
        id="lower-case-street-word-last",
    ),
    pytest.param(
        "Moje adresa: Na Louži 8\n101 00 Praha",
        ["Na Louži 8\n101 00 Praha"],
        id="czech-postcode-on-next-line",
    ),
    pytest.param(
        "Veldstraatje 3\n9000 Gent",
        ["Veldstraatje 3\n9000 Gent"],
        id="belgian-two-lines",
    ),
    pytest.param(
        "a morada é Largo do Chafariz, 12, 4050-123 Porto obrigado",
        ["Largo do Chafariz, 12, 4050-123 Porto"],
        id="portuguese-comma-before-number",
    ),
    pytest.param(
        "deliver to ul. Kwiatowa 5, 31-042 Kraków please",
        ["ul. Kwiatowa 5, 31-042 Kraków"],
        id="polish-postcode-same-line",
    ),
    pytest.param(
        "my address is Kossuth Lajos utca 22., H-6720 Szeged",
        ["Kossuth Lajos utca 22., H-6720 Szeged"],
        id="hungarian-dot-after-number",
    ),
    pytest.param(
        "Envoyez-le au 14, rue des Lilas, 69003 Lyon merci",
        ["14, rue des Lilas, 69003 Lyon"],
        id="french-comma-after-number",
    ),
    pytest.param(
        "I live at 52 Maple Crescent, Kingston, ON K7L 3N6 now",
        ["52 Maple Crescent, Kingston, ON K7L 3N6"],
        id="canadian-postcode",
    ),
    pytest.param(
        "I live at Kirkebakken 22B.", ["Kirkebakken 22B"], id="cued-street-without-postcode"
    ),
    pytest.param(
        "can you deliver it to Zeleni dol 7 instead",
        ["Zeleni dol 7"],
        id="cued-street-lower-case-word",
    ),
    pytest.param(
        "my address is Na Příkopě 15, call me when you arrive",
        ["Na Příkopě 15"],
        id="cued-street-before-a-comma",
    ),
    pytest.param("I updated to iOS 17 yesterday", [], id="update-is-not-an-address-cue"),
    pytest.param("send it to Room 4B Building", [], id="number-not-ending-the-clause"),
    pytest.param(
        "I upgraded to Windows 10, 2004 Update was slow", [], id="version-and-year-not-an-address"
    ),
    pytest.param("We met at 10, 2345 People came", [], id="lower-case-word-before-number"),
    pytest.param("Chapter 4, 1234 Words To Go", [], id="chapter-number"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_when_an_address_is_written_over_parts_then_it_is_one_span(
    detector: Detector, text: str, expected: list[str]
) -> None:
    assert_entity_values(detector, text, ENTITY, expected)
