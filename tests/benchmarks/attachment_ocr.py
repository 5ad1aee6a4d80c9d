# Chinese text is the data here, on purpose.
# ruff: noqa: RUF001
"""Attachment OCR: DetectorPool.scan_document("image") next to the bare tesseract command.

    .venv/bin/python tests/benchmarks/attachment_ocr.py [--images 20] [--text-probes 10]

Renders ``--images`` 1000x700 order-screenshot-like pictures (mixed English and Chinese,
with names, phones, e-mails and resident ID numbers), then, in the same run and interleaved
picture by picture (so a neighbour's load hits both alike):

(a) ``tesseract <png> - -l eng+chi_sim`` with OMP_THREAD_LIMIT=1, sequentially, with the
    page segmentation mode of config/detection.toml (the same OCR work the pool does) and,
    for reference, with Tesseract's default mode;
(b) ``DetectorPool(workers=1).scan_document("image", ...)``, sequentially: OCR, text
    layout, detection, pickling to and from the worker.

Prints images/s, p50/p99 latency and the ratio (goal: pool >= 85 % of the bare command's
rate). Then (c): a short text message sent while a picture is being read by the single
worker, its latency next to the idle latency (the cost of sharing workers with documents).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pathlib
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from detectors import DetectorPool, default_config_dir, load_detection_config  # noqa: E402
from tests.detectors.render import Placed, draw_texts, resident_id  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵周吴"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "婷"]
CITIES = ["上海市浦东新区张江路", "北京市海淀区中关村大街", "广州市天河区体育西路"]
PRODUCTS = [
    "Wireless earbuds 无线耳机",
    "Phone case 手机壳",
    "USB-C cable 数据线",
    "Desk lamp 台灯",
]


def order_picture(index: int, rng: random.Random) -> bytes:
    """One order-details screenshot: header, items, customer block, totals."""
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
    birth = f"{rng.randint(1960, 2002)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    rid = resident_id(f"310115{birth}{rng.randint(100, 999)}")
    texts = [
        Placed(f"Order details 订单详情  NB-2026112600{index:03d}", 40, 30, cjk=True, size=30),
        Placed("Status: shipped 已发货", 40, 85, cjk=True, size=22),
    ]
    top = 140
    for item in rng.sample(PRODUCTS, 3):
        price = f"¥{rng.randint(20, 400)}.00"
        texts += [
            Placed(item, 40, top, cjk=True, size=24),
            Placed(f"x{rng.randint(1, 3)}", 600, top, size=24),
            Placed(price, 760, top, size=24),
        ]
        top += 50
    texts += [
        Placed(f"收件人：{name}", 40, 330, cjk=True, size=24),
        Placed(f"手机：{phone}", 40, 380, cjk=True, size=24),
        Placed(f"Email: buyer{index}@example.com", 40, 430, size=24),
        Placed(f"地址：{rng.choice(CITIES)}{rng.randint(1, 999)}号", 40, 480, cjk=True, size=24),
        Placed(f"身份证号：{rid}", 40, 530, cjk=True, size=24),
        Placed("Total 合计  ¥523.00", 600, 620, cjk=True, size=28),
    ]
    return draw_texts(texts, size=(1000, 700)).data


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(name: str, times: list[float]) -> float:
    rate = len(times) / sum(times)
    print(
        f"{name:46} {rate:6.2f} images/s  p50 {1000 * statistics.median(times):6.0f} ms"
        f"  p99 {1000 * percentile(times, 0.99):6.0f} ms"
    )
    return rate


def bare_tesseract(path: pathlib.Path, languages: str, psm: int | None) -> float:
    command = [shutil.which("tesseract") or "tesseract", str(path), "-", "-l", languages]
    if psm is not None:
        command += ["--psm", str(psm)]
    started = time.perf_counter()
    subprocess.run(  # noqa: S603  # fixed command, our own file
        command,
        check=True,
        capture_output=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    return time.perf_counter() - started


async def run(args: argparse.Namespace) -> None:
    config = load_detection_config(default_config_dir()).detection.documents
    languages = "+".join(config.ocr_languages)
    psm = config.ocr_page_segmentation_mode
    rng = random.Random(7)
    pictures = [order_picture(i, rng) for i in range(args.images)]
    folder = pathlib.Path(tempfile.mkdtemp(prefix="ocr-bench-"))
    pool = DetectorPool(default_config_dir(), workers=1)
    try:
        paths = []
        for index, data in enumerate(pictures):
            paths.append(folder / f"order-{index}.png")
            paths[-1].write_bytes(data)
        started = time.perf_counter()
        await pool.start()
        print(
            f"{len(pictures)} pictures 1000x700 PNG; pool start-up "
            f"{time.perf_counter() - started:.1f} s; languages {languages}, --psm {psm}"
        )
        warm = await pool.scan_document("image", pictures[0])  # first call loads tessdata
        print(
            f"warm-up picture: {len(warm.text)} chars, "
            f"{sorted({f.finding.entity_type for f in warm.findings})}"
        )
        bare: list[float] = []
        bare_default: list[float] = []
        ours: list[float] = []
        findings = 0
        for path, data in zip(paths, pictures, strict=True):
            bare.append(bare_tesseract(path, languages, psm))
            bare_default.append(bare_tesseract(path, languages, None))
            t0 = time.perf_counter()
            scan = await pool.scan_document("image", data)
            ours.append(time.perf_counter() - t0)
            findings += len(scan.findings)
        print()
        bare_rate = row(f"(a) bare tesseract --psm {psm}", bare)
        default_rate = row("    bare tesseract, default --psm 3", bare_default)
        pool_rate = row("(b) pool scan_document (1 worker)", ours)
        print(f"    findings per picture (pool): {findings / len(pictures):.1f}")
        print(
            f"\nratio pool / bare (same --psm): {100 * pool_rate / bare_rate:.0f} %  (goal >= 85 %)"
        )
        print(f"ratio pool / bare (default psm): {100 * pool_rate / default_rate:.0f} %")

        message = "请把发票寄到我的邮箱，谢谢"
        idle: list[float] = []
        for _ in range(args.text_probes):
            t0 = time.perf_counter()
            await pool.detect(message)
            idle.append(time.perf_counter() - t0)
        behind: list[float] = []
        for index in range(args.text_probes):
            document = asyncio.ensure_future(
                pool.scan_document("image", pictures[index % len(pictures)])
            )
            await asyncio.sleep(0.05)  # the picture is on the worker
            t0 = time.perf_counter()
            await pool.detect(message)
            behind.append(time.perf_counter() - t0)
            await document
        print()
        row_ms("(c) text message, idle pool", idle)
        row_ms("    text message sent while a picture is read", behind)
    finally:
        await pool.close()
        shutil.rmtree(folder, ignore_errors=True)


def row_ms(name: str, times: list[float]) -> None:
    print(
        f"{name:46} p50 {1000 * statistics.median(times):6.0f} ms"
        f"  p99 {1000 * percentile(times, 0.99):6.0f} ms  (n={len(times)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--text-probes", type=int, default=10)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
