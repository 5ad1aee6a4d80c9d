# Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501
"""Detection quality per source and split, ours next to Presidio out of the box (run by hand).

    .venv/bin/python tests/benchmarks/detection_quality.py [--only ours|ootb]
        [--sources chat,wnut17,presidio,weibo,cluener,project] [--splits dev,test] [--verbose]

Sources (detectors/README.md, "Evaluation data"):

- ``chat``: tests/data/chat/chat.jsonl, Faker values from many locales in shop-chat
  sentences; all entity types; its dev and test splits use different sentences.
- ``chat_sensitive``: tests/data/chat/chat_sensitive.jsonl (tests/data/chat/generate_sensitive.py),
  identity documents, cards, accounts, IBANs, coordinates, dates of birth, ages, WeChat IDs
  and a child's data in shop-chat sentences, English and Chinese, with clean look-alikes;
  plus, when present, tests/data/external/out/chat_sensitive_health.jsonl (health terms from
  public lists, git-ignored: made by the same script from the lists' mirrors).
- ``wnut17``: tests/data/external/out/wnut17.jsonl (WNUT-17 social-media English, CC BY 4.0);
  PERSON and LOCATION only.
- ``presidio``: tests/data/external/out/presidio.jsonl, Presidio's own evaluation set
  (microsoft/presidio-research synth_dataset_v2.json, MIT, 1,500 English texts), its
  personal types only (organisations, titles, dates, nationalities, web sites are not a
  person's data and are not gold); every finding type is scored. Split by sentence template.
- ``weibo``, ``cluener``: tests/data/external/out/ (not redistributable, so git-ignored;
  made by tests/data/external/fetch_corpora.py); skipped with a message when absent.
- ``project``: tests/data/detection/ (the project's own templates, which the engine was
  tuned on; one split, shown as ``dev``, for comparison only).

A source that labels only some entity types is scored on those alone (findings of other
types are ignored there). Per entity, split and engine it prints: precision, recall, F1
(a finding matches a labelled span when the type is the same and the overlap is at least
half of their union, IoU >= 0.5), masking recall (share of labelled spans touched by any
finding of any type: what an agent would not see), masking precision (share of findings
of the scored types that touch a labelled span: an order an agent can still read), and
false findings per 100 clean messages (messages with no labelled span; findings of the
scored types). Presidio OOTB is its ``AnalyzerEngine`` with its default recognizers on the
pinned spaCy small model (tests/benchmarks/presidio_ootb.py: never downloaded), language "en" for every message, its entity names mapped to ours
where an equivalent exists. Tune on dev; look at test only to report.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from detectors import Detector, default_config_dir, load_detection_config  # noqa: E402
from tests.benchmarks.presidio_ootb import presidio_ootb_analyzer  # noqa: E402

DATA = ROOT / "tests" / "data"
OOTB_NAMES = {"US_PASSPORT": "PASSPORT", "US_BANK_NUMBER": "BANK_ACCOUNT"}
FETCH_HINT = "make it with: .venv/bin/python tests/data/external/fetch_corpora.py (needs the corpora's git mirrors; detectors/README.md)"


@dataclass(frozen=True)
class Span:
    entity_type: str
    start: int
    end: int
    sensitive: bool


@dataclass(frozen=True)
class Source:
    name: str
    files: tuple[pathlib.Path, ...]
    entities: frozenset[str] | None  # None: every type is labelled
    note: str
    optional: tuple[pathlib.Path, ...] = ()  # read when present, said when absent


SOURCES = [
    Source(
        "chat", (DATA / "chat" / "chat.jsonl",), None, "Faker, many locales, shop-chat sentences"
    ),
    Source(
        "chat_sensitive",
        (DATA / "chat" / "chat_sensitive.jsonl",),
        None,
        "Faker values, sensitive types, shop-chat sentences",
        (DATA / "external" / "out" / "chat_sensitive_health.jsonl",),
    ),
    Source(
        "wnut17",
        (DATA / "external" / "out" / "wnut17.jsonl",),
        frozenset({"PERSON", "LOCATION"}),
        "WNUT-17 social-media English",
    ),
    Source(
        "presidio",
        (DATA / "external" / "out" / "presidio.jsonl",),
        None,
        "Presidio's evaluation set (synth_dataset_v2), English",
    ),
    Source(
        "weibo",
        (DATA / "external" / "out" / "weibo.jsonl",),
        frozenset({"PERSON", "LOCATION"}),
        "Weibo NER (named mentions)",
    ),
    Source(
        "cluener",
        (DATA / "external" / "out" / "cluener.jsonl",),
        frozenset({"PERSON", "LOCATION", "STREET_ADDRESS"}),
        "CLUENER2020 Chinese news/web",
    ),
    Source(
        "project",
        (DATA / "detection" / "dev.jsonl", DATA / "detection" / "clean.jsonl"),
        None,
        "the project's own templates (tuned on)",
    ),
]

Row = dict[str, object]
Predictor = Callable[[list[str]], list[list[Span]]]


def load(source: Source) -> list[Row] | None:
    rows: list[Row] = []
    for path in source.files:
        if not path.exists():
            return None
        with path.open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle)
    for path in source.optional:
        if not path.exists():
            print(f"\n({source.name}: {path.relative_to(ROOT)} is absent, scored without it)")
            continue
        with path.open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle)
    for row in rows:
        row.setdefault("split", "dev")
    return rows


def iou(a: Span, b: Span) -> float:
    inter = min(a.end, b.end) - max(a.start, b.start)
    if inter <= 0:
        return 0.0
    return inter / (max(a.end, b.end) - min(a.start, b.start))


def ours() -> Predictor:
    detector = Detector(load_detection_config(default_config_dir()))

    def predict(texts: list[str]) -> list[list[Span]]:
        out: list[list[Span]] = []
        for start in range(0, len(texts), 64):
            results = detector.detect_batch([(t, None, None) for t in texts[start : start + 64]])
            out.extend(
                [Span(f.entity_type, f.start, f.end, f.sensitive) for f in r] for r in results
            )
        return out

    return predict


def presidio_ootb() -> Predictor:
    analyzer = presidio_ootb_analyzer()
    config = load_detection_config(default_config_dir())

    def sensitive(entity: str) -> bool:
        name = config.categories.entities.get(entity)
        return bool(name and config.categories.categories[name].sensitive)

    def predict(texts: list[str]) -> list[list[Span]]:
        out = []
        for text in texts:
            spans = []
            for r in analyzer.analyze(text=text, language="en"):
                entity = OOTB_NAMES.get(r.entity_type, r.entity_type)
                spans.append(Span(entity, r.start, r.end, sensitive(entity)))
            out.append(spans)
        return out

    return predict


def gold(row: Row) -> list[Span]:
    spans = row["spans"]
    assert isinstance(spans, list)
    return [Span(s["entity_type"], s["start"], s["end"], s["sensitive"]) for s in spans]


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    touched: int = 0

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def masking(self) -> float:
        total = self.tp + self.fn
        return self.touched / total if total else 0.0


@dataclass
class Score:
    per_entity: dict[str, Tally]
    clean_messages: int
    clean_findings: int
    sens_total: int
    sens_hit: int
    seconds: float
    notes: list[str]
    findings: int = 0
    findings_touching: int = 0

    def micro(self) -> Tally:
        total = Tally()
        for t in self.per_entity.values():
            total.tp += t.tp
            total.fp += t.fp
            total.fn += t.fn
            total.touched += t.touched
        return total

    def mask_precision(self) -> float:
        return self.findings_touching / self.findings if self.findings else 0.0

    def false_per_100(self) -> float:
        return 100 * self.clean_findings / self.clean_messages if self.clean_messages else 0.0


def score(
    rows: list[Row], predicted: list[list[Span]], entities: frozenset[str] | None, seconds: float
) -> Score:
    per_entity: dict[str, Tally] = defaultdict(Tally)
    clean_messages = clean_findings = sens_total = sens_hit = 0
    findings = findings_touching = 0
    notes: list[str] = []
    clean_notes: list[str] = []
    for row, found in zip(rows, predicted, strict=True):
        text = str(row["text"])
        expected = gold(row)
        scored = [p for p in found if entities is None or p.entity_type in entities]
        findings += len(scored)
        findings_touching += sum(
            any(p.start < g.end and g.start < p.end for g in expected) for p in scored
        )
        if not expected:
            clean_messages += 1
            clean_findings += len(scored)
            clean_notes.extend(
                f"  CLEAN-FP {p.entity_type:16} {text[p.start : p.end]!r}  in {text!r}"
                for p in scored
            )
            continue
        used: set[int] = set()
        for g in expected:
            tally = per_entity[g.entity_type]
            match = next(
                (
                    i
                    for i, p in enumerate(scored)
                    if i not in used and p.entity_type == g.entity_type and iou(p, g) >= 0.5
                ),
                None,
            )
            if match is None:
                tally.fn += 1
                notes.append(
                    f"  MISS {g.entity_type:16} {text[g.start : g.end]!r}  in {row['id']}: {text[:120]!r}"
                )
            else:
                used.add(match)
                tally.tp += 1
            touching = [p for p in found if p.start < g.end and g.start < p.end]
            tally.touched += bool(touching)
            if g.sensitive:
                sens_total += 1
                sens_hit += any(p.sensitive for p in touching)
        for i, p in enumerate(scored):
            if i not in used:
                per_entity[p.entity_type].fp += 1
                notes.append(
                    f"  FP   {p.entity_type:16} {text[p.start : p.end]!r}  in {row['id']}: {text[:120]!r}"
                )
    return Score(
        dict(per_entity),
        clean_messages,
        clean_findings,
        sens_total,
        sens_hit,
        seconds,
        notes[:150] + clean_notes[:100],
        findings,
        findings_touching,
    )


def fmt(t: Tally | None) -> str:
    if t is None:
        return f"{'-':>6} {'-':>6} {'-':>6} {'-':>6} {'':>5}"
    p, r, f1 = t.prf()
    return f"{p:6.3f} {r:6.3f} {f1:6.3f} {t.masking():6.3f} {t.tp + t.fn:5}"


def report(source: Source, split: str, scores: dict[str, Score]) -> None:
    names = list(scores)
    print(f"\n=== {source.name} / {split}: {source.note} ===")
    first = next(iter(scores.values()))
    print(
        f"labelled spans scored on: {', '.join(sorted(source.entities)) if source.entities else 'every type'}; {first.clean_messages} clean messages"
    )
    header = " | ".join(f"{n + ' P':>13} {'R':>6} {'F1':>6} {'mask':>6} {'gold':>5}" for n in names)
    print(f"{'entity':17} | {header} |")
    entities = sorted({e for s in scores.values() for e in s.per_entity})
    for entity in entities:
        print(
            f"{entity:17} | "
            + " | ".join(fmt(scores[n].per_entity.get(entity)) for n in names)
            + " |"
        )
    print(f"{'micro':17} | " + " | ".join(fmt(scores[n].micro()) for n in names) + " |")
    print(
        f"{'mask precision':17} | "
        + " | ".join(f"{scores[n].mask_precision():13.3f} {'':>27}" for n in names)
        + " |"
    )
    print(
        f"{'false/100 clean':17} | "
        + " | ".join(f"{scores[n].false_per_100():13.1f} {'':>27}" for n in names)
        + " |"
    )
    if any(s.sens_total for s in scores.values()):
        # Spans whose category is sensitive (config/categories.toml; an AGE or a
        # DATE_OF_BIRTH of a child under 14), touched by a finding the engine calls sensitive.
        print(
            f"{'sensitive recall':17} | "
            + " | ".join(
                f"{scores[n].sens_hit / max(scores[n].sens_total, 1):13.3f} {scores[n].sens_total:>27}"
                for n in names
            )
            + " |"
        )
    elif source.name.startswith("chat"):
        print(f"{'sensitive recall':17} | no sensitive span labelled in this source")
    print(
        f"{'seconds':17} | "
        + " | ".join(f"{scores[n].seconds:13.1f} {'':>27}" for n in names)
        + " |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["ours", "ootb"])
    parser.add_argument("--sources", default=",".join(s.name for s in SOURCES))
    parser.add_argument("--splits", default="dev,test")
    parser.add_argument(
        "--verbose", action="store_true", help="list misses and false findings (dev only)"
    )
    args = parser.parse_args()
    wanted = set(args.sources.split(","))
    splits = args.splits.split(",")
    engines: dict[str, Callable[[], Predictor]] = {}
    if args.only != "ootb":
        engines["ours"] = ours
    if args.only != "ours":
        engines["presidio"] = presidio_ootb
    predictors = {name: make() for name, make in engines.items()}
    for source in SOURCES:
        if source.name not in wanted:
            continue
        rows = load(source)
        if rows is None:
            print(
                f"\n=== {source.name}: SKIPPED, {source.files[0].relative_to(ROOT)} is absent; {FETCH_HINT} ==="
            )
            continue
        for split in splits:
            part = [r for r in rows if r["split"] == split]
            if not part:
                continue
            scores: dict[str, Score] = {}
            for name, predict in predictors.items():
                started = time.perf_counter()
                found = predict([str(r["text"]) for r in part])
                scores[name] = score(part, found, source.entities, time.perf_counter() - started)
            report(source, split, scores)
            if args.verbose and split == "dev":
                for name, s in scores.items():
                    print(f"--- {name}: misses and false findings ---")
                    print("\n".join(s.notes))


if __name__ == "__main__":
    main()
