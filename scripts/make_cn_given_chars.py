"""Writes cn_given_chars.txt: how often each character is used in Chinese given names (by hand).

    .venv/bin/python scripts/make_cn_given_chars.py [--mirror /work/.mirror]

Counted in the person names labelled in Weibo NER (hltcoe/golden-horse, all three files) and
CLUENER2020 (StanleySun233/ChineseNER, train and dev), read from the same local mirrors as
tests/data/external/fetch_corpora.py, and only in the messages that are in neither
evaluation sample: a message whose hash puts it in the test split is never read, and the
700 dev messages per corpus the benchmarks tune on are left out too, so neither the test
nor the dev figures are measured on what the counts were learnt from. A name counts once
however often it occurs (a columnist named in 30 messages would otherwise weigh 30 times):
2-4 Han characters starting with a surname of the recognizer's list, the given name being
the 1-2 characters after the surname. The file holds character counts only: no name, no
message text.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import pathlib
import sys

import regex

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detectors.recognizers.cn.cn_person_recognizer import (  # noqa: E402
    COMPOUND_SURNAMES,
    SINGLE_SURNAMES,
)
from tests.data.external import fetch_corpora  # noqa: E402

TARGET = ROOT / "detectors" / "recognizers" / "cn" / "cn_given_chars.txt"
HEADER = """\
# Characters of Chinese given names: character<TAB>number of distinct names using it.
# Derived by scripts/make_cn_given_chars.py from the person names labelled in Weibo NER
# (hltcoe/golden-horse) and CLUENER2020, counting only messages outside both evaluation
# samples (no test-split message, none of the dev messages the benchmarks tune on).
# Counts of characters only; no name or message text is reproduced.
"""
_HAN_NAME = regex.compile(r"\p{Han}{2,4}")


def given_name(name: str) -> str | None:
    """The given name of a 2-4 character Han name starting with a known surname, or None."""
    if not _HAN_NAME.fullmatch(name):
        return None
    if name[:2] in COMPOUND_SURNAMES:
        given = name[2:]
    elif name[0] in SINGLE_SURNAMES:
        given = name[1:]
    else:
        return None
    return given if 1 <= len(given) <= 2 else None


def training_names(mirror: pathlib.Path) -> set[str]:
    """Distinct labelled person names of the messages in neither evaluation sample."""
    names: set[str] = set()
    readers = {"weibo": fetch_corpora.weibo, "cluener": fetch_corpora.cluener}
    for source, reader in readers.items():
        dev = [
            r
            for r in reader(mirror)
            if str(r["text"]).strip() and fetch_corpora.split_of(source, str(r["id"])) == "dev"
        ]
        ordered = sorted(dev, key=lambda r: hashlib.sha256(str(r["id"]).encode()).hexdigest())
        for row in ordered[fetch_corpora.MAX_PER_SPLIT :]:  # the rest of the dev half only
            text = str(row["text"])
            for span in row["spans"]:  # type: ignore[attr-defined]
                if span["entity_type"] == "PERSON":
                    names.add(text[span["start"] : span["end"]])
    return names


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirror", type=pathlib.Path, default=pathlib.Path("/work/.mirror"))
    args = parser.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    names = training_names(args.mirror)
    used = 0
    for name in names:
        given = given_name(name)
        if given is not None:
            used += 1
            counts.update(set(given))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    lines = [f"{char}\t{count}" for char, count in ranked]
    TARGET.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(names)} distinct names, {used} with a known surname, {len(counts)} characters")  # noqa: T201


if __name__ == "__main__":
    main()
