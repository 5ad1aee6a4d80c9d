"""Convert public labelled NER corpora into the detection filter's labels (run by hand).

    .venv/bin/python tests/data/external/fetch_corpora.py [--mirror /work/.mirror]

Reads the corpora from local git mirrors of their public repositories (brought here with the
session's ``fetch`` tool, or any ``git clone``: the directory layout is
``<mirror>/<owner>+<name>/repo``, a bare git directory) and writes JSON lines, one message a
line: ``{"id", "text", "language", "source", "split", "spans": [{"entity_type", "start",
"end", "sensitive"}]}``.

Licences decide where the output goes (detectors/README.md, "Evaluation data"):

- WNUT-17 (leondz/emerging_entities_17, CC BY 4.0).
- Presidio's evaluation set (microsoft/presidio-research ``data/synth_dataset_v2.json``,
  MIT): 1,500 English texts, every one kept (no sample).
- Weibo NER (hltcoe/golden-horse): annotations CC BY-SA 3.0, but the messages follow Weibo's
  terms of service; CLUENER2020 (a copy of its data in StanleySun233/ChineseNER; the
  CLUEbenchmark repository has no licence file and links the data off GitHub): no licence
  to redistribute.

Whatever the licence, nothing converted from a fetched repository is committed: every
corpus is written to ``tests/data/external/out/`` (git-ignored) and the quality benchmark
skips a source, saying so, when its file is absent.

Only the entity types each corpus annotates are kept (PERSON, LOCATION, STREET_ADDRESS);
the benchmark scores each source on those types alone. Presidio's set labels every kind of
personal data, so it keeps only the personal types (``PRESIDIO_PERSONAL``) and drops those
that are not a person's (``PRESIDIO_NOT_PERSONAL``: organisations, job titles, dates and
times, nationalities, web sites); it is scored on every type. Every message gets a split,
``dev`` or ``test``, from a hash of its source and id (for Presidio's set, of its template:
its 1,500 texts come from 209 sentence templates, and a test template is never seen in
dev), so the split never changes between runs and does not depend on file order. Tune on
``dev`` only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
IGNORED = HERE / "out"
TEST_SHARE_PERCENT = 50
# Enough messages per split for stable figures, few enough for a by-hand run of minutes.
MAX_PER_SPLIT = 700


@dataclass(frozen=True)
class Corpus:
    repo: str
    files: tuple[str, ...]


CORPORA = {
    "wnut17": Corpus(
        "leondz+emerging_entities_17",
        ("wnut17train.conll", "emerging.dev.conll", "emerging.test.annotated"),
    ),
    "weibo": Corpus(
        "hltcoe+golden-horse",
        (
            "data/weiboNER_2nd_conll.train",
            "data/weiboNER_2nd_conll.dev",
            "data/weiboNER_2nd_conll.test",
        ),
    ),
    "cluener": Corpus(
        "StanleySun233+ChineseNER",
        ("data/cluener/train.json", "data/cluener/dev.json"),
    ),
    "presidio": Corpus("microsoft+presidio-research", ("data/synth_dataset_v2.json",)),
}
# Presidio's labels for personal data, in the filter's names. A ZIP code alone is the
# postcode part of an address (the set cuts an address into street, unit and postcode).
PRESIDIO_PERSONAL = {
    "PERSON": "PERSON",
    "STREET_ADDRESS": "STREET_ADDRESS",
    "ZIP_CODE": "STREET_ADDRESS",
    "GPE": "LOCATION",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "IBAN_CODE": "IBAN_CODE",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
    "AGE": "AGE",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
}
# Not a person's data: a company, a job title ("Dr.", "Cinematographer"), a date or time
# with no birth cue ("1977", "Saturday"), a nationality ("Hungarian"), a company web site.
PRESIDIO_NOT_PERSONAL = frozenset({"ORGANIZATION", "TITLE", "DATE_TIME", "NRP", "DOMAIN_NAME"})
WNUT_LABELS = {"person": "PERSON", "location": "LOCATION"}
WEIBO_LABELS = {"PER.NAM": "PERSON", "GPE.NAM": "LOCATION", "LOC.NAM": "LOCATION"}
# A CLUENER "address" with a street-level part is a street address, otherwise a place.
CN_STREET_PART = re.compile(r"[路街巷弄号室栋幢楼村道]|小区|大厦|公寓")


def split_of(source: str, message_id: str, group: str | None = None) -> str:
    digest = hashlib.sha256(f"{source}:{group or message_id}".encode()).digest()
    return "test" if digest[0] * 100 // 256 < TEST_SHARE_PERCENT else "dev"


def read(mirror: pathlib.Path, corpus: Corpus, path: str) -> str:
    repo = mirror / corpus.repo / "repo"
    git = shutil.which("git") or "git"
    return subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [git, "-C", str(repo), "show", f"HEAD:{path}"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def conll_sentences(text: str) -> Iterator[list[tuple[str, str]]]:
    sentence: list[tuple[str, str]] = []
    for line in text.splitlines():
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2 or not parts[0].strip():
            if sentence:
                yield sentence
            sentence = []
            continue
        sentence.append((parts[0], parts[-1].strip()))
    if sentence:
        yield sentence


def spans_from_bio(
    tokens: list[tuple[str, str]], labels: dict[str, str], joiner: str
) -> tuple[str, list[dict[str, object]]]:
    text = ""
    spans: list[dict[str, object]] = []
    open_span: dict[str, object] | None = None
    for token, tag in tokens:
        if text and joiner:
            text += joiner
        start = len(text)
        text += token
        kind = tag[2:] if tag[:2] in {"B-", "I-"} else ""
        entity = labels.get(kind)
        if tag.startswith("I-") and open_span is not None and open_span["label"] == kind:
            open_span["end"] = len(text)
            continue
        open_span = None
        if entity is not None:
            open_span = {"label": kind, "entity_type": entity, "start": start, "end": len(text)}
            spans.append(open_span)
    out = [
        {"entity_type": s["entity_type"], "start": s["start"], "end": s["end"], "sensitive": False}
        for s in spans
    ]
    return text, out


def wnut(mirror: pathlib.Path) -> Iterator[dict[str, object]]:
    corpus = CORPORA["wnut17"]
    for path in corpus.files:
        for index, tokens in enumerate(conll_sentences(read(mirror, corpus, path))):
            text, spans = spans_from_bio(tokens, WNUT_LABELS, " ")
            yield {"id": f"wnut17-{pathlib.Path(path).name}-{index}", "text": text,
                   "language": "en", "spans": spans}  # fmt: skip


def weibo(mirror: pathlib.Path) -> Iterator[dict[str, object]]:
    corpus = CORPORA["weibo"]
    for path in corpus.files:
        for index, tokens in enumerate(conll_sentences(read(mirror, corpus, path))):
            # Each character carries its position in its word ("口0"): drop that digit.
            chars = [(token[:-1] if token[-1:].isdigit() else token, tag) for token, tag in tokens]
            text, spans = spans_from_bio(chars, WEIBO_LABELS, "")
            yield {"id": f"weibo-{pathlib.Path(path).name}-{index}", "text": text,
                   "language": "zh", "spans": spans}  # fmt: skip


def json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Concatenated JSON objects, one a line or pretty-printed over many (this copy)."""
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return
        row, position = decoder.raw_decode(text, position)
        yield row


def cluener(mirror: pathlib.Path) -> Iterator[dict[str, object]]:
    corpus = CORPORA["cluener"]
    for path in corpus.files:
        for index, row in enumerate(json_objects(read(mirror, corpus, path))):
            text = row["text"]
            spans: list[dict[str, object]] = []
            for label, mentions in row.get("label", {}).items():
                for mention, positions in mentions.items():
                    for start, last in positions:
                        if label == "name":
                            entity = "PERSON"
                        elif label == "address":
                            entity = (
                                "STREET_ADDRESS" if CN_STREET_PART.search(mention) else "LOCATION"
                            )
                        else:
                            continue
                        spans.append({"entity_type": entity, "start": start, "end": last + 1,
                                      "sensitive": False})  # fmt: skip
            spans.sort(key=lambda s: (s["start"], s["end"]))
            yield {"id": f"cluener-{pathlib.Path(path).stem}-{index}", "text": text,
                   "language": "zh", "spans": spans}  # fmt: skip


def presidio(mirror: pathlib.Path) -> Iterator[dict[str, object]]:
    corpus = CORPORA["presidio"]
    for index, row in enumerate(json.loads(read(mirror, corpus, corpus.files[0]))):
        spans: list[dict[str, object]] = []
        for span in row["spans"]:
            label = span["entity_type"]
            if label in PRESIDIO_NOT_PERSONAL:
                continue
            spans.append({"entity_type": PRESIDIO_PERSONAL[label],
                          "start": span["start_position"], "end": span["end_position"],
                          "sensitive": False})  # fmt: skip
        spans.sort(key=lambda s: (s["start"], s["end"]))
        yield {"id": f"presidio-{index}", "text": row["full_text"], "language": "en",
               "spans": spans, "group": f"template-{row['template_id']}"}  # fmt: skip


def convert(
    name: str,
    rows: Iterator[dict[str, object]],
    out_dir: pathlib.Path,
    limit: int | None = MAX_PER_SPLIT,
) -> None:
    per_split: dict[str, list[dict[str, object]]] = {"dev": [], "test": []}
    for row in rows:
        text = str(row["text"])
        if not text.strip():
            continue
        group = row.get("group")
        split = split_of(name, str(row["id"]), str(group) if group is not None else None)
        # Deterministic sample: the first MAX_PER_SPLIT in hash order, not file order.
        per_split[split].append({**row, "source": name, "split": split})
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.jsonl"
    with target.open("w", encoding="utf-8") as handle:
        for split, rows_of_split in per_split.items():
            ordered = sorted(
                rows_of_split, key=lambda r: hashlib.sha256(str(r["id"]).encode()).hexdigest()
            )
            kept = ordered if limit is None else ordered[:limit]
            for row in kept:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            print(f"{name} {split}: {len(kept)} of {len(ordered)}")
    print(f"wrote {target}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirror", type=pathlib.Path, default=pathlib.Path("/work/.mirror"))
    args = parser.parse_args()
    readers = {"wnut17": wnut, "weibo": weibo, "cluener": cluener, "presidio": presidio}
    for name, reader in readers.items():
        corpus = CORPORA[name]
        if not (args.mirror / corpus.repo / "repo").exists():
            print(f"{name}: no mirror at {args.mirror / corpus.repo}; skipped")
            continue
        # Presidio's set is small enough to keep whole (1,500 texts).
        convert(name, reader(args.mirror), IGNORED, None if name == "presidio" else MAX_PER_SPLIT)


if __name__ == "__main__":
    main()
