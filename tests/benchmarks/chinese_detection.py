# Report lines read better unwrapped.
# ruff: noqa: E501
"""Chinese detection: names, places, addresses, false findings and speed in one run (by hand).

    .venv/bin/python tests/benchmarks/chinese_detection.py [--splits dev,test] [--verbose]

Messages: the Chinese messages of the weibo, cluener and chat sources (see
detection_quality.py; weibo and cluener are made by tests/data/external/fetch_corpora.py).
Per source and split it prints recall (same type, IoU >= 0.5) of 2-4 character Han names
(the issue's measure), of full names (2-4 Han characters starting with a surname of the
recognizer's list, not in an @-handle: what is left when nicknames, handles and
transliterations are taken out), of every PERSON, LOCATION and STREET_ADDRESS span, the
share of place and address spans touched by a LOCATION or STREET_ADDRESS finding, the same
share without the spans that are a whole country or continent (美国, 欧洲: no one's address),
the share of address-shaped spans touched (a division, road, village, estate or building
part in the span: where a person may live, not a venue or a landmark),
and PERSON, LOCATION and STREET_ADDRESS findings per 100 clean messages. ``--errors`` counts
the missed names by cause (no surname, @-handle, jieba's cut...) without printing them. Then, for every message
under 500 characters, one at a time pinned to one core: p50 and p99 latency, the share of
time spent in jieba's cut, and the detector's RSS. Tune on dev; read test only to report.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import time
from collections import Counter

import regex

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from detectors import Detector, Finding, default_config_dir, load_detection_config  # noqa: E402
from detectors.recognizers.cn import cn_location_recognizer, cn_person_recognizer  # noqa: E402
from detectors.recognizers.cn.cn_places import WORLD_PLACES  # noqa: E402
from tests.benchmarks.detection_speed import percentile, rss_mb  # noqa: E402

DATA = ROOT / "tests" / "data"
FILES = {
    "weibo": DATA / "external" / "out" / "weibo.jsonl",
    "cluener": DATA / "external" / "out" / "cluener.jsonl",
    "chat": DATA / "chat" / "chat.jsonl",
}
TYPES = ("PERSON", "LOCATION", "STREET_ADDRESS")
PLACE_TYPES = frozenset({"LOCATION", "STREET_ADDRESS"})
HAN_NAME = regex.compile(r"\p{Han}{2,4}")
SURNAME = regex.compile(cn_person_recognizer._SURNAME)
# Countries, continents and regions: the head of WORLD_PLACES, up to 中东 (cities follow).
COUNTRIES = frozenset(WORLD_PLACES[: WORLD_PLACES.index("中东") + 1])
# A place span that could be where a person lives or is: it names a division, a road, a
# village, a housing estate or a building part (广州市, 梨园南街, 大康村, 西苑小区, 9号楼);
# not a venue, a landmark or a country (帝国大厦, 青城山, 老特拉福德球场).
ADDRESS_SHAPED = regex.compile(
    r"[省市区县縣镇鎮乡鄉村路街号號巷弄楼樓室栋棟]|小区|大道|花园|新村|家园|公寓"
)
_HAN = regex.compile(r"\p{Han}")


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter / (max(a[1], b[1]) - min(a[0], b[0])) if inter > 0 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", default="dev,test")
    parser.add_argument("--verbose", action="store_true", help="list dev misses and false findings")
    parser.add_argument("--errors", action="store_true", help="count dev name misses by cause")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    started = time.perf_counter()
    detector = Detector(load_detection_config(default_config_dir()))
    print(f"start {time.perf_counter() - started:.1f} s, RSS {rss_mb():.0f} MB")
    segment_time = [0.0]
    segment = cn_person_recognizer.segment

    def timed_segment(text: str) -> tuple[cn_person_recognizer.Token, ...]:
        t0 = time.perf_counter()
        try:
            return segment(text)
        finally:
            segment_time[0] += time.perf_counter() - t0

    # Time jieba wherever it is called from (the name and place recognizers share the cut).
    for module in (cn_person_recognizer, cn_location_recognizer):
        setattr(module, "segment", timed_segment)  # noqa: B010
    times: list[float] = []
    for split in args.splits.split(","):
        for source, path in FILES.items():
            if not path.exists():
                print(f"{source}: SKIPPED, {path} is absent")
                continue
            rows = [json.loads(line) for line in path.open(encoding="utf-8")]
            rows = [r for r in rows if r["split"] == split and r["language"] == "zh"]
            hit: Counter[str] = Counter()
            total: Counter[str] = Counter()
            causes: Counter[str] = Counter()
            clean = clean_findings = 0
            notes: list[str] = []
            for row in rows:
                text = row["text"]
                t0 = time.perf_counter()
                found = detector.detect(text)
                elapsed = time.perf_counter() - t0
                if len(text) < 500 and _HAN.search(text):
                    times.append(elapsed)
                mine = [f for f in found if f.entity_type in TYPES]
                if not row["spans"]:
                    clean += 1
                    clean_findings += len(mine)
                    notes += [
                        f"  CLEAN {f.entity_type} {text[f.start : f.end]!r} in {text[:80]!r}"
                        for f in mine
                    ]
                    continue
                for g in row["spans"]:
                    kind = g["entity_type"]
                    if kind not in TYPES:
                        continue
                    span = (g["start"], g["end"])
                    keys = [kind]
                    value = text[span[0] : span[1]]
                    if kind == "PERSON" and HAN_NAME.fullmatch(value):
                        keys.append("han name 2-4")
                        if SURNAME.match(value) and not text[: span[0]].endswith("@"):
                            keys.append("full name")
                    if kind in PLACE_TYPES:
                        keys.append("place touched")
                        if value not in COUNTRIES:
                            keys.append("not country touched")
                        if ADDRESS_SHAPED.search(value):
                            keys.append("address-shaped touched")
                    for key in keys:
                        total[key] += 1
                        if key.endswith("touched"):
                            ok = any(
                                f.entity_type in PLACE_TYPES
                                and f.start < span[1]
                                and span[0] < f.end
                                for f in found
                            )
                        else:
                            ok = any(
                                f.entity_type == kind and iou((f.start, f.end), span) >= 0.5
                                for f in found
                            )
                        hit[key] += ok
                        if not ok and key == "han name 2-4":
                            causes[name_miss_cause(text, span, found)] += 1
                        if not ok and key == kind:
                            notes.append(
                                f"  MISS {kind} {text[span[0] : span[1]]!r} in {text[:80]!r}"
                            )
                for f in mine:
                    if not any(
                        iou((f.start, f.end), (g["start"], g["end"])) >= 0.5 for g in row["spans"]
                    ):
                        notes.append(
                            f"  FP {f.entity_type} {text[f.start : f.end]!r} in {text[:80]!r}"
                        )
            figures = "  ".join(
                f"{key} {hit[key] / total[key]:.3f} ({total[key]})"
                for key in (
                    "han name 2-4",
                    "full name",
                    "PERSON",
                    "LOCATION",
                    "STREET_ADDRESS",
                    "place touched",
                    "not country touched",
                    "address-shaped touched",
                )
                if total[key]
            )
            print(
                f"{source:8} {split:4} {figures}  false/100 clean {100 * clean_findings / max(clean, 1):.1f} ({clean})"
            )
            if args.verbose and split == "dev":
                print("\n".join(notes))
            if args.errors and split == "dev" and causes:
                print("  missed 2-4 Han names by cause:", dict(causes.most_common()))
    total_secs = sum(times)
    print(
        f"speed: {len(times)} Chinese messages < 500 chars, one core: p50 {1000 * statistics.median(times):.1f} ms"
        f"  p99 {1000 * percentile(times, 0.99):.1f} ms  mean {1000 * total_secs / len(times):.1f} ms"
        f"  jieba cut {100 * segment_time[0] / total_secs:.0f} % of time  RSS {rss_mb():.0f} MB"
    )


def name_miss_cause(text: str, span: tuple[int, int], found: list[Finding]) -> str:
    """Why a 2-4 character Han name was missed, as far as jieba's cut and the findings tell."""
    value = text[span[0] : span[1]]
    if text[: span[0]].endswith("@"):
        return "@-handle"
    if not SURNAME.match(value):
        return "no surname (nickname, transliteration)"
    if any(f.entity_type == "PERSON" and f.start < span[1] and span[0] < f.end for f in found):
        return "found with other bounds"
    if any(f.start < span[1] and span[0] < f.end for f in found):
        return "found as another type"
    words = [t for t in cn_person_recognizer.segment(text) if t[0] < span[1] and span[0] < t[1]]
    if len(words) == 1 and words[0][2] == value:
        return f"one jieba word tagged {words[0][3]}"
    if words and words[0][2] == value[0]:
        return "jieba cut after the surname"
    return "jieba cut elsewhere"


if __name__ == "__main__":
    main()
