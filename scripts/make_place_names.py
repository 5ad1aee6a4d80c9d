"""Writes en_place_names.txt, a gazetteer of towns, regions and countries (run by hand).

    apt-get install wamerican        # /usr/share/dict/words: used as a filter only
    .venv/bin/python -m scripts.make_place_names [/usr/share/dict/words]

The names are those of Faker's address providers in every locale it ships (Faker 40.54.0,
https://github.com/joke2k/faker, MIT licence, a dev dependency here): countries, states,
regions, counties, cities, towns and villages, in Latin script. A name is left out when it
is shorter than three letters, when it is a common English word (its lower-case form is a
word of SCOWL's American English list, Debian's `wamerican`: "Bath", "Nice", "Reading") or a
stop word. The recognizer reads a name only after a word that puts someone somewhere ("in",
"to", "from", "near"): alone, many are also surnames or things. Only the names are written.
"""

from __future__ import annotations

import pathlib

import regex
from spacy.lang.en.stop_words import STOP_WORDS

from scripts.make_person_names import HEADER as NAMES_HEADER
from scripts.make_person_names import common_words, faker_places

HEADER = NAMES_HEADER.replace(
    "# Given names (G) and surnames (S) in Latin script: name<TAB>G|S|GS.\n"
    "# Derived by scripts/make_person_names.py from the person providers",
    "# Towns, regions and countries in Latin script, one a line.\n"
    "# Derived by scripts/make_place_names.py from the address providers",
)
TARGET = (
    pathlib.Path(__file__).resolve().parent.parent / "detectors/recognizers/en/en_place_names.txt"
)
_LATIN_PLACE = regex.compile(r"\p{Lu}[\p{Latin}\p{M}'\u2019\-]*\p{Ll}[\p{Latin}\p{M}'\u2019\- ]*")


def main() -> None:
    common = common_words()
    places = faker_places()

    def keep(name: str) -> bool:
        folded = name.casefold()
        return (
            len(name) >= 3
            and _LATIN_PLACE.fullmatch(name) is not None
            and folded not in common
            and folded not in STOP_WORDS
        )

    rows = sorted({p.strip() for p in places if keep(p.strip())})
    TARGET.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} places to {TARGET}")  # noqa: T201


if __name__ == "__main__":
    main()
