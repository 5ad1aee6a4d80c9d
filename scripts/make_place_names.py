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

import importlib
import pathlib
import sys

import regex
from faker.config import AVAILABLE_LOCALES
from spacy.lang.en.stop_words import STOP_WORDS

from scripts.make_person_names import HEADER as NAMES_HEADER

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
_PLACE_ATTRS = (
    "countries", "cities", "city_names", "real_city_names", "states", "provinces", "regions",
    "districts", "counties", "villages", "municipalities", "towns", "metropolitan_cities",
)  # fmt: skip


def _names(value: object) -> list[str]:
    if isinstance(value, dict):
        return [k for k in value if isinstance(k, str)]
    if isinstance(value, list | tuple | set | frozenset):
        return [v for v in value if isinstance(v, str)]
    return []


def main() -> None:
    words_file = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/dict/words")
    common = {
        w.strip() for w in words_file.read_text(encoding="utf-8").splitlines() if w[:1].islower()
    }
    places: set[str] = set()
    for locale in AVAILABLE_LOCALES:
        try:
            address = importlib.import_module(f"faker.providers.address.{locale}")
        except ImportError:
            continue
        for attr in _PLACE_ATTRS:
            places.update(_names(address.Provider.__dict__.get(attr)))

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
