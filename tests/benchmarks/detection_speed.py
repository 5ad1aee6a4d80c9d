"""Detection speed: ours (one worker, and the pool) next to Presidio out of the box.

    .venv/bin/python tests/benchmarks/detection_speed.py [--messages 1000]

Realistic mix: the labelled development set and the clean look-alike set
(tests/data/detection/), all messages under 500 characters. Single-process figures are
taken pinned to one core. Prints throughput, p50/p99 latency per message, memory per worker
(RSS) and start-up time, and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pathlib
import statistics
import sys
import time
from collections.abc import Callable

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests" / "data" / "detection"


def rss_mb(pid: int | str = "self") -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def messages(count: int) -> list[str]:
    texts = []
    for name in ("dev.jsonl", "clean.jsonl"):
        with (DATA / name).open(encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle]
    texts = [t for t in texts if len(t) < 500]
    return (texts * (count // len(texts) + 1))[:count]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(name: str, detect: Callable[[str], object], texts: list[str]) -> dict[str, float]:
    for text in texts[:50]:
        detect(text)  # warm-up
    times = []
    started = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        detect(text)
        times.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    result = {
        "msgs_per_s": len(texts) / total,
        "p50_ms": 1000 * statistics.median(times),
        "p99_ms": 1000 * percentile(times, 0.99),
    }
    print(
        f"{name:34} {result['msgs_per_s']:8.1f} msg/s  p50 {result['p50_ms']:6.2f} ms"
        f"  p99 {result['p99_ms']:6.2f} ms"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    texts = messages(args.messages)
    print(f"{len(texts)} messages, mean {statistics.mean(map(len, texts)):.0f} chars")
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    started = time.perf_counter()
    from detectors import (  # timed: import is part of start-up
        Detector,
        DetectorPool,
        default_config_dir,
        load_detection_config,
    )

    detector = Detector(load_detection_config(default_config_dir()))
    ours_startup = time.perf_counter() - started
    ours_rss = rss_mb()
    print(f"ours start-up {ours_startup:.2f} s, RSS {ours_rss:.0f} MB")

    ours = latency("ours, one core, one at a time", detector.detect, texts)
    started = time.perf_counter()
    for index in range(0, len(texts), 32):
        detector.detect_batch([(t, None, None) for t in texts[index : index + 32]])
    batched = len(texts) / (time.perf_counter() - started)
    print(f"{'ours, one core, batches of 32':34} {batched:8.1f} msg/s")

    from tests.benchmarks.presidio_ootb import presidio_ootb_analyzer

    started = time.perf_counter()
    ootb_engine = presidio_ootb_analyzer()
    ootb_startup = time.perf_counter() - started
    print(f"Presidio OOTB start-up {ootb_startup:.2f} s (after shared imports)")
    ootb = latency(
        "Presidio OOTB, one core", lambda t: ootb_engine.analyze(text=t, language="en"), texts
    )

    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))

    async def pool_run() -> tuple[float, float, list[float]]:
        pool = DetectorPool(default_config_dir(), workers=args.workers)
        t0 = time.perf_counter()
        await pool.start()
        startup = time.perf_counter() - t0
        pids = await pool.worker_pids()
        worker_rss = [rss_mb(pid) for pid in pids]
        t0 = time.perf_counter()
        await asyncio.gather(*(pool.detect(t) for t in texts))
        throughput = len(texts) / (time.perf_counter() - t0)
        await pool.close()
        return startup, throughput, worker_rss

    pool_startup, pool_throughput, worker_rss = asyncio.run(pool_run())
    print(
        f"{f'ours, pool of {args.workers} workers':34} {pool_throughput:8.1f} msg/s"
        f"  (start-up {pool_startup:.2f} s, RSS per worker "
        f"{', '.join(f'{r:.0f}' for r in worker_rss)} MB)"
    )
    print("\n=== ratios (ours / Presidio OOTB) ===")
    print(f"throughput, one core, one at a time  {ours['msgs_per_s'] / ootb['msgs_per_s']:.2f}x")
    print(f"throughput, one core, batched        {batched / ootb['msgs_per_s']:.2f}x")
    print(f"p50 latency                          {ours['p50_ms'] / ootb['p50_ms']:.2f}x")
    print(f"p99 latency                          {ours['p99_ms'] / ootb['p99_ms']:.2f}x")


if __name__ == "__main__":
    main()
