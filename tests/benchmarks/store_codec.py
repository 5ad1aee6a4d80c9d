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
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bson import Binary
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from chat_service.storage.messages import conv_seq
from tests.benchmarks.chat_throughput import stop_process, with_service_indexes

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECS = 60.0
KINDS = ("plain", "sensitive")
ENCODERS = ("stock", "embedded")

type Json = dict[str, Any]


def message(conversation_id: str, seq: int, kind: str) -> Json:
    document: Json = {
        "_id": f"m-{conversation_id}-{seq}",
        "conversation_id": conversation_id,
        "customer_id": "bench-customer",
        "seq": seq,
        "client_id": f"c-{seq}",
        "sender": {"role": "customer", "id": "bench-customer"},
        "kind": "text",
        "text": "My parcel for order 20231104-7781 was due last week and is still late.",
        "findings": [],
        "secrets": [],
        "consent": None,
        "created_at": datetime.now(UTC),
        "conv_seq": conv_seq(conversation_id, seq),
        "secrets_version": 0,
    }
    if kind == "sensitive":
        document |= {
            "text": "My card [CREDIT_CARD] was charged twice for order 20231104-7781.",
            "findings": [
                {
                    "entity_type": "CREDIT_CARD",
                    "start": 8,
                    "end": 21,
                    "score": 1.0,
                    "category": "bank_card",
                    "sensitive": True,
                }
            ],
            "secrets": [
                {
                    "start": 8,
                    "end": 21,
                    "entity_types": ["CREDIT_CARD"],
                    "categories": ["bank_card"],
                    # The size of a random-algorithm ciphertext of a card number.
                    "value": Binary(b"\x02" + os.urandom(16) + os.urandom(96), 6),
                    "state": "pending",
                }
            ],
            "consent": "pending",
        }
    return document


async def serve(encoder: str, path: str) -> None:
    """The embedded store's child as the server runs it, with or without its encoder."""
    from chat_service.storage import embedded_codec, embedded_server

    if encoder == "stock":
        embedded_codec.install = lambda: False  # the child's only call: keep mongoeco's
    elif not embedded_codec.install():
        raise SystemExit("the embedded encoder refused this mongoeco version")
    await embedded_server.serve(path, 0)


class StoreChild:
    """A store child with one encoder on one file, and the messages collection in it."""

    def __init__(self, encoder: str, path: Path) -> None:
        self.encoder = encoder
        self.path = path

    async def __aenter__(self) -> AsyncCollection[Json]:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.benchmarks.store_codec",
            "--serve",
            self.encoder,
            "--path",
            str(self.path),
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
        )
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(START_TIMEOUT_SECS):
                uri = (await self.process.stdout.readline()).decode().strip()
            self.client: AsyncMongoClient[Json] = AsyncMongoClient(uri, tz_aware=True)
            return await with_service_indexes(self.client, "bench")
        except BaseException:
            await stop_process(self.process)
            raise

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()
        await stop_process(self.process)


async def bench(args: argparse.Namespace) -> int:
    timings: dict[tuple[str, str], list[float]] = {(e, k): [] for e in ENCODERS for k in KINDS}
    conversation = "c_" + secrets.token_hex(12)
    with tempfile.TemporaryDirectory(prefix="store-codec-bench-") as tmp:
        children = {e: StoreChild(e, Path(tmp) / f"{e}.sqlite") for e in ENCODERS}
        collections = {e: await children[e].__aenter__() for e in ENCODERS}
        try:
            seq = 0
            for number in range(args.rounds):
                order = ENCODERS if number % 2 == 0 else ENCODERS[::-1]
                for encoder in order:
                    for i in range(args.inserts):
                        seq += 1
                        kind = KINDS[i % 2]
                        document = message(conversation, seq, kind)
                        started = time.perf_counter()
                        await collections[encoder].insert_one(document)
                        timings[encoder, kind].append((time.perf_counter() - started) * 1000)
                print(f"  round {number + 1} of {args.rounds}", file=sys.stderr, flush=True)
        finally:
            for child in children.values():
                await child.__aexit__()
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
    if args.serve:
        asyncio.run(serve(args.serve, args.path))
        return 0
    return asyncio.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
