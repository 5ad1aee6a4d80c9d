"""A message insert over the wire with mongoeco's own document encoder beside the embedded
store's (chat_service/storage/embedded_codec.py), plain and sensitive messages, in one run.

    .venv/bin/python -m tests.benchmarks.store_codec [--rounds 4] [--inserts 200]

Two store children (this module with `--serve stock|embedded`), each on its own SQLite
file holding every index the server creates (as chat_throughput.py's store ceiling). Each
round times `--inserts` single `insert_one` calls on one child, then on the other (which
child goes first alternates), plain and sensitive messages alternated: a sensitive one is
a plain one plus the finding and the encrypted secret the server stores for a card number.
Printed: p50 per encoder and kind over all rounds, what a sensitive message adds, and the
stock/embedded ratio of the p50s.

Everything listens on 127.0.0.1 only; the children and files are removed on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from chat_service.storage import embedded_codec
from tests.benchmarks import store_insert
from tests.benchmarks.chat_throughput import with_service_indexes
from tests.benchmarks.store_insert import StoreChild
from tests.benchmarks.store_serve import serve_or_bench
from tests.helpers.messages import stored_message

MODULE = "tests.benchmarks.store_codec"
KINDS = ("plain", "sensitive")
ENCODERS = ("stock", "embedded")

type Json = dict[str, Any]


async def serve(encoder: str, path: str) -> None:
    """The embedded store's engine on `path`, with mongoeco's encoder or the store's."""
    if encoder == "embedded" and not embedded_codec.install():
        raise SystemExit("the embedded encoder refused this mongoeco version")
    await store_insert.serve("chat", path)


async def bench(args: argparse.Namespace) -> int:
    timings: dict[tuple[str, str], list[float]] = {(e, k): [] for e in ENCODERS for k in KINDS}
    conversation = "c_" + secrets.token_hex(12)
    with tempfile.TemporaryDirectory(prefix="store-codec-bench-") as tmp:
        async with contextlib.AsyncExitStack() as children:
            collections = {}
            for encoder in ENCODERS:
                child = StoreChild(encoder, Path(tmp) / f"{encoder}.sqlite", module=MODULE)
                client = await children.enter_async_context(child)
                collections[encoder] = await with_service_indexes(client, "bench")
            seq = 0
            for number in range(args.rounds):
                order = ENCODERS if number % 2 == 0 else ENCODERS[::-1]
                for encoder in order:
                    for i in range(args.inserts):
                        seq += 1
                        kind = KINDS[i % 2]
                        document = stored_message(conversation, seq, sensitive=kind == "sensitive")
                        started = time.perf_counter()
                        await collections[encoder].insert_one(document)
                        timings[encoder, kind].append((time.perf_counter() - started) * 1000)
                print(f"  round {number + 1} of {args.rounds}", file=sys.stderr, flush=True)
    p50 = {key: statistics.median(values) for key, values in timings.items()}
    print(f"{'encoder':<9} {'plain p50':>10} {'sensitive p50':>14} {'added':>8}   n")
    for encoder in ENCODERS:
        plain, sensitive = p50[encoder, "plain"], p50[encoder, "sensitive"]
        count = len(timings[encoder, "plain"])
        print(
            f"{encoder:<9} {plain:>10.2f} {sensitive:>14.2f} {sensitive - plain:>+8.2f}   {count}"
        )
    for kind in KINDS:
        print(f"stock/embedded p50, {kind}: {p50['stock', kind] / p50['embedded', kind]:.2f}x")
    print("ms per insert_one, send -> reply")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--inserts", type=int, default=200, help="per child and round")
    parser.add_argument("--serve", choices=ENCODERS, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.inserts < 2:
        parser.error("--rounds must be >= 1, --inserts >= 2")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return serve_or_bench(args, serve, bench)


if __name__ == "__main__":
    sys.exit(main())
