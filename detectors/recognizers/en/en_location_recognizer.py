# Regex patterns read better unwrapped; names use the typographic apostrophe.
# ruff: noqa: E501, RUF001
"""LOCATION (English): cities, regions and countries from spaCy's NER (GPE, LOC labels).

NER misses towns it has not seen, and every name in capitals ("NAANTALI", "GUÉRET"). After
a cue that puts a person somewhere ("I live in", "originally from", "moved to", "flew to",
"based in", "born in"), one to four capitalised or upper-case words in any alphabet are a
place (0.65). Countries NER misses ("Uruguay", "SLOVENIA") are found by their English short
names (0.7), except those as often a person's name or a thing (Jordan, Chad, Turkey); on a
line of its own, the line above it of one to four capitalised or upper-case words is its
town ("EBEN\\nAustria", 0.6), unless a word is a common or closing word ("Thanks").
"""

from __future__ import annotations

import pathlib
from functools import cache
from typing import override

import regex
from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from detectors.recognizers.base import REGEX_TIMEOUT, ProjectLocalRecognizer, make_result

_LABELS = frozenset({"GPE", "LOC"})
_PLACE_WORD = r"\p{Lu}[\p{L}\p{M}'’\-]*"
_CUED = regex.compile(
    r"(?<![\p{L}])(?i:live in|lives in|lived in|living in|i'm from|i am from|im from|originally from|"
    r"moved to|moving to|flew to|fly to|flying to|based in|born in|grew up in|relocated to|"
    r"travell?ing to|staying in|stay in|moved from|comes? from|came from|raised in|greetings from|hometown(?: is|,)?)[ \t]+"
    rf"(?P<value>{_PLACE_WORD}(?:[ \t]+(?:{_PLACE_WORD}|(?:de|del|da|do|la|le|u|am|an|sur)(?=[ \t]+\p{{Lu}}))){{0,3}})"
)
# A place before a clause that says someone lives, grew up or was born there ("Linz is
# where I grew up", "Pabna is where my parents live").
_WHERE = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}])(?P<value>{_PLACE_WORD}(?:[ \t]+(?:{_PLACE_WORD}|(?:de|del|da|do|la|le|u|am|an|sur|nad|pod)(?=[ \t]+\p{{Lu}}))){{0,3}})"
    r"[ \t]+(?:is|was)[ \t]+where[ \t]+(?i:i|we|he|she|they|my|our|his|her|their)[ \t]"
)
CUE_SCORE = 0.65
# Countries by their usual English short names, for those the small NER model misses
# ("Uruguay", "Slovenia", "AUSTRIA"). Names that are as often a person's or a thing's
# (Jordan, Chad, Georgia, Turkey, Jersey) are left to NER.
COUNTRIES = frozenset(
    name.casefold()
    for name in (
        "Afghanistan", "Albania", "Algeria", "Andorra", "Angola", "Antigua and Barbuda",
        "Argentina", "Armenia", "Australia", "Austria", "Azerbaijan", "Bahamas", "Bahrain",
        "Bangladesh", "Barbados", "Belarus", "Belgium", "Belize", "Benin", "Bhutan", "Bolivia",
        "Bosnia and Herzegovina", "Botswana", "Brazil", "Brunei", "Bulgaria", "Burkina Faso",
        "Burundi", "Cambodia", "Cameroon", "Canada", "Cape Verde", "Central African Republic",
        "Chile", "China", "Colombia", "Comoros", "Congo", "Costa Rica", "Croatia", "Cuba",
        "Cyprus", "Czech Republic", "Czechia", "Denmark", "Djibouti", "Dominican Republic",
        "Ecuador", "Egypt", "El Salvador", "Equatorial Guinea", "Eritrea", "Estonia",
        "Eswatini", "Ethiopia", "Fiji", "Finland", "France", "Gabon", "Gambia", "Germany",
        "Ghana", "Greece", "Greenland", "Grenada", "Guatemala", "Guinea-Bissau", "Guyana",
        "Haiti", "Honduras", "Hong Kong", "Hungary", "Iceland", "India", "Indonesia", "Iran",
        "Iraq", "Ireland", "Israel", "Italy", "Ivory Coast", "Jamaica", "Japan", "Kazakhstan",
        "Kenya", "Kiribati", "Kosovo", "Kuwait", "Kyrgyzstan", "Laos", "Latvia", "Lebanon",
        "Lesotho", "Liberia", "Libya", "Liechtenstein", "Lithuania", "Luxembourg", "Macao",
        "Macau", "Madagascar", "Malawi", "Malaysia", "Maldives", "Mali", "Malta",
        "Marshall Islands", "Mauritania", "Mauritius", "Mexico", "Micronesia", "Moldova",
        "Monaco", "Mongolia", "Montenegro", "Morocco", "Mozambique", "Myanmar", "Namibia",
        "Nauru", "Nepal", "Netherlands", "New Zealand", "Nicaragua", "Niger", "Nigeria",
        "North Korea", "North Macedonia", "Norway", "Oman", "Pakistan", "Palau", "Palestine",
        "Panama", "Papua New Guinea", "Paraguay", "Peru", "Philippines", "Poland", "Portugal",
        "Puerto Rico", "Qatar", "Romania", "Russia", "Rwanda", "Saint Lucia", "Samoa",
        "San Marino", "Saudi Arabia", "Senegal", "Serbia", "Seychelles", "Sierra Leone",
        "Singapore", "Slovakia", "Slovenia", "Solomon Islands", "Somalia", "South Africa",
        "South Korea", "South Sudan", "Spain", "Sri Lanka", "Sudan", "Suriname", "Sweden",
        "Switzerland", "Syria", "Taiwan", "Tajikistan", "Tanzania", "Thailand", "Timor-Leste",
        "Togo", "Tonga", "Trinidad and Tobago", "Tunisia", "Turkmenistan", "Tuvalu", "Uganda",
        "Ukraine", "United Arab Emirates", "United Kingdom", "United States",
        "United States of America", "Uruguay", "Uzbekistan", "Vanuatu", "Vatican City",
        "Venezuela", "Vietnam", "Viet Nam", "Yemen", "Zambia", "Zimbabwe",
    )
)  # fmt: skip
_COUNTRY_MAX_WORDS = 4
_COUNTRY_WORD = regex.compile(r"\p{L}[\p{L}\-]*")
COUNTRY_SCORE = 0.7
# A line that is only a country (a postcode may follow), the last of a card or an address.
_COUNTRY_LINE_AFTER = regex.compile(r"[ \t]*(?:\d{3,6}[ \t]*)?(?:\n|\Z)")
# The town on the line before it: one to four capitalised or upper-case words, nothing else
# ("Chiclana de la Frontera", "EBEN", "> ALFRICK").
_TOWN_LINE = regex.compile(
    r"(?:^|\n)[ \t>]*,?[ \t]*(?P<value>\p{Lu}[\p{L}\p{M}'’\-]*\.?(?:[ \t]+(?:\p{Lu}[\p{L}\p{M}'’\-]*\.?|de|del|da|do|la|le|u|am|an|sur)){0,3})[ \t]*\n[ \t\n>]*\Z"
)
TOWN_LINE_SCORE = 0.6
# Words that close a message or head a card line, not towns.
_NOT_TOWNS = frozenset(
    {"thanks", "thank", "regards", "cheers", "sincerely", "best", "hi", "hello", "dear",
     "address", "country", "city", "town", "location", "from", "to", "ship", "shipping"}
)  # fmt: skip
# Capitalised words after "live in", "moved to" ... that are times, not places.
_NOT_PLACES = frozenset(
    {
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
        "friday", "saturday", "sunday", "the", "a", "an", "my", "our", "this", "that", "it",
        "here", "there", "home", "which", "what", "everything", "nothing", "somewhere",
    }
)  # fmt: skip

# Towns and regions of many countries (`en_place_names.txt`, from Faker's address providers,
# common English words left out: scripts/make_place_names.py), read only after a word that
# puts someone or something somewhere: "flew to Kędzierzyn-Koźle", "in Laax". A capitalised
# word with an English town ending is a town there too ("to Auroratown", "in Niitabury").
_PLACES_FILE = pathlib.Path(__file__).with_name("en_place_names.txt")
_GAZETTEER_CUE = regex.compile(
    r"(?<![\p{L}])(?i:in|to|from|near|around|visit|visiting|visited)[ \t]+"
    rf"(?P<value>{_PLACE_WORD}(?:[ \t]+(?:{_PLACE_WORD}|(?:de|del|da|do|di|la|le|am|an|sur|i)(?=[ \t]+\p{{Lu}}))){{0,3}})"
)
_TOWN_ENDING = regex.compile(
    r"\p{Lu}\p{Ll}[\p{Ll}\p{M}]+(?:town|ville|burgh|borough|bury|mouth|chester|stad|haven|furt|port|gate|stadt|dorf|hausen|heim|ingen|minster|caster)"
)
# A town named by a word that says it is one, then its name ("Port Amy", "Lake Cameronstad",
# "Bandar Sri Wangi", "San Miguel de Tucumán"), after the same cue.
_TOWN_PREFIX = regex.compile(
    r"(?:Port|Lake|Fort|Mount|Bandar|Puerto|Porto|San|Santa|São|Villa|Ciudad|Kota)[ \t]+\p{Lu}.*"
)
GAZETTEER_SCORE = 0.6


class EnLocationRecognizer(ProjectLocalRecognizer):
    ENTITY = "LOCATION"
    CONTEXT_WORDS = ("live in", "from", "city", "located", "住在", "城市")
    NER_SCORE = 0.7

    @override
    def find(self, text: str, nlp_artifacts: NlpArtifacts | None) -> list[RecognizerResult]:
        results = [
            make_result(
                self.ENTITY, *m.span("value"), CUE_SCORE, type(self).__name__, "place after a cue"
            )
            for m in _CUED.finditer(text, timeout=REGEX_TIMEOUT.secs)
            if m.group("value").split()[0].lower() not in _NOT_PLACES
        ]
        results.extend(
            make_result(
                self.ENTITY,
                *m.span("value"),
                CUE_SCORE,
                type(self).__name__,
                "place before 'is where I ...'",
            )
            for m in _WHERE.finditer(text, timeout=REGEX_TIMEOUT.secs)
            if m.group("value").split()[0].lower() not in _NOT_PLACES
        )
        results.extend(self._countries(text))
        results.extend(self._gazetteer(text))
        if nlp_artifacts is None:
            return results
        for entity in nlp_artifacts.entities:
            if entity.label_ not in _LABELS:
                continue
            span = text[entity.start_char : entity.end_char]
            if not span[:1].isupper() or len(span) < 2 or any(c.isdigit() for c in span):
                continue
            results.append(
                make_result(
                    self.ENTITY,
                    entity.start_char,
                    entity.end_char,
                    self.NER_SCORE,
                    type(self).__name__,
                    f"spaCy NER {entity.label_}",
                )
            )
        return results

    def _gazetteer(self, text: str) -> list[RecognizerResult]:
        """A known town or region (the longest run of words that is one) after a cue."""
        places = place_names()
        results = []
        for match in _GAZETTEER_CUE.finditer(text, timeout=REGEX_TIMEOUT.secs):
            start = match.start("value")
            words = list(regex.finditer(r"\S+", match.group("value"), timeout=REGEX_TIMEOUT.secs))
            for count in range(len(words), 0, -1):
                end = start + words[count - 1].end()
                value = text[start:end]
                if (
                    value.casefold() in places
                    or (count == 1 and _TOWN_ENDING.fullmatch(value, timeout=REGEX_TIMEOUT.secs))
                    or (
                        count == len(words)
                        and _TOWN_PREFIX.fullmatch(value, timeout=REGEX_TIMEOUT.secs)
                    )
                ):
                    why = "known place after a cue"
                    results.append(
                        make_result(
                            self.ENTITY, start, end, GAZETTEER_SCORE, type(self).__name__, why
                        )
                    )
                    break
        return results

    def _countries(self, text: str) -> list[RecognizerResult]:
        """Country names, capitalised or in capitals, as one to four words on one line."""
        words = [
            (m.start(), m.end()) for m in _COUNTRY_WORD.finditer(text, timeout=REGEX_TIMEOUT.secs)
        ]
        results: list[RecognizerResult] = []
        index = 0
        while index < len(words):
            start = words[index][0]
            if not text[start].isupper():
                index += 1
                continue
            for count in range(min(_COUNTRY_MAX_WORDS, len(words) - index), 0, -1):
                last = index + count - 1
                gaps = [text[words[i][1] : words[i + 1][0]] for i in range(index, last)]
                if any(gap not in {" ", "\t"} for gap in gaps):
                    continue
                end = words[last][1]
                if text[start:end].casefold() in COUNTRIES:
                    results.append(
                        make_result(
                            self.ENTITY, start, end, COUNTRY_SCORE, type(self).__name__, "country"
                        )
                    )
                    results.extend(self._town_line_before(text, start, end))
                    index = last
                    break
            index += 1
        return results

    def _town_line_before(self, text: str, start: int, end: int) -> list[RecognizerResult]:
        """The town on the line above a line that is only a country ("EBEN\\nAustria")."""
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip(" \t>,") or "\n" not in text[:start]:
            return []
        if _COUNTRY_LINE_AFTER.match(text, end, timeout=REGEX_TIMEOUT.secs) is None:
            return []
        town = _TOWN_LINE.search(
            text, max(0, line_start - 80), line_start, timeout=REGEX_TIMEOUT.secs
        )
        if town is None or any(
            w.lower().rstrip(".") in _NOT_TOWNS or w.lower() in STOP_WORDS
            for w in town.group("value").split()
        ):
            return []
        why = "town on the line above a country"
        return [
            make_result(self.ENTITY, *town.span("value"), TOWN_LINE_SCORE, type(self).__name__, why)
        ]


@cache
def place_names() -> frozenset[str]:
    """The gazetteer's names, case-folded, read once per process."""
    with _PLACES_FILE.open(encoding="utf-8") as handle:
        return frozenset(
            line.strip().casefold() for line in handle if line.strip() and not line.startswith("#")
        )
