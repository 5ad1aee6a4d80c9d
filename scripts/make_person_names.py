"""Writes en_person_names.txt, a lexicon of given names and surnames (run by hand).

    apt-get install wamerican        # /usr/share/dict/words: used as a filter only
    .venv/bin/python scripts/make_person_names.py [/usr/share/dict/words]

The names are those of Faker's person providers in every locale it ships (Faker 40.54.0,
https://github.com/joke2k/faker, MIT licence, a dev dependency here): first names and last
names of many cultures, in Latin script (Finnish, Polish, Icelandic, Vietnamese, Czech,
Turkish, Portuguese ...). A name is left out when it is shorter than three letters, when it
is a common English word (its lower-case form is a word of SCOWL's American English list,
Debian's `wamerican`: "Will", "Hope", "Mark", "Rose"), a stop word, a month or a weekday
(or their short forms: "Jan"), or the name of a place in Faker's address providers
(countries, states, regions, counties, cities: "India", "Jordan", "Boston", "Tyrone"): those
are found by NER or a cue, never by the lexicon alone. Only the names are written (no word
of the word list is copied).
"""

from __future__ import annotations

import importlib
import pathlib
import sys

import regex
from faker.config import AVAILABLE_LOCALES
from spacy.lang.en.stop_words import STOP_WORDS

HEADER = """\
# Given names (G) and surnames (S) in Latin script: name<TAB>G|S|GS.
# Derived by scripts/make_person_names.py from the person providers of Faker 40.54.0
# (https://github.com/joke2k/faker), which is under the MIT licence:
#
# Copyright (c) 2012 Daniele Faraglia
# Permission is hereby granted, free of charge, to any person obtaining a copy of this software
# and associated documentation files (the "Software"), to deal in the Software without
# restriction, including without limitation the rights to use, copy, modify, merge, publish,
# distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
# Software is furnished to do so, subject to the following conditions:
# The above copyright notice and this permission notice shall be included in all copies or
# substantial portions of the Software.
# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
# BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
# NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
# DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
# OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""
TARGET = (
    pathlib.Path(__file__).resolve().parent.parent / "detectors/recognizers/en/en_person_names.txt"
)
_LATIN_NAME = regex.compile(r"\p{Lu}[\p{Latin}\p{M}'\u2019\-]*\p{Ll}[\p{Latin}\p{M}'\u2019\-]*")
_CALENDAR = frozenset(
    {
        "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december", "monday", "tuesday", "wednesday",
        "thursday", "friday", "saturday", "sunday", "jan", "feb", "mar", "apr", "jun", "jul",
        "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thur",
        "thurs", "fri", "sat", "sun",
    }
)  # fmt: skip
# Attributes of Faker's address providers that list places.
_PLACE_ATTRS = (
    "countries", "cities", "city_names", "real_city_names", "states", "provinces", "regions",
    "districts", "counties", "villages", "municipalities", "towns", "metropolitan_cities",
)  # fmt: skip
_GIVEN_ATTRS = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")


def _names(value: object) -> list[str]:
    if isinstance(value, dict):
        return [k for k in value if isinstance(k, str)]
    if isinstance(value, list | tuple | set | frozenset):
        return [v for v in value if isinstance(v, str)]
    return []


def common_words() -> set[str]:
    """The lower-case words of the word list named on the command line (default
    /usr/share/dict/words): names spelt like them are left out."""
    words_file = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/dict/words")
    return {
        w.strip() for w in words_file.read_text(encoding="utf-8").splitlines() if w[:1].islower()
    }


def faker_places() -> set[str]:
    """The places of Faker's address providers, every locale."""
    places: set[str] = set()
    for locale in AVAILABLE_LOCALES:
        try:
            address = importlib.import_module(f"faker.providers.address.{locale}")
        except ImportError:
            continue
        for attr in _PLACE_ATTRS:
            places.update(_names(address.Provider.__dict__.get(attr)))
    return places


def main() -> None:
    common = common_words()
    places = faker_places()
    given: set[str] = set()
    surnames: set[str] = set()
    for locale in AVAILABLE_LOCALES:
        try:
            module = importlib.import_module(f"faker.providers.person.{locale}")
        except ImportError:
            continue
        provider = module.Provider.__dict__
        for attr in _GIVEN_ATTRS:
            given.update(_names(provider.get(attr)))
        surnames.update(_names(provider.get("last_names")))

    def keep(name: str) -> bool:
        folded = name.casefold()
        return (
            len(name) >= 3
            and _LATIN_NAME.fullmatch(name) is not None
            and folded not in common
            and folded not in STOP_WORDS
            and folded not in _CALENDAR
            and name not in places
        )

    rows = []
    for name in sorted({n for n in given | surnames if keep(n)}):
        kind = ("G" if name in given else "") + ("S" if name in surnames else "")
        rows.append(f"{name}\t{kind}")
    TARGET.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} names to {TARGET}")  # noqa: T201


if __name__ == "__main__":
    main()
