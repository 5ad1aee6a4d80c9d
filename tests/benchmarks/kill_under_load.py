"""kill -9 of one of two instances under load (issue 19's goal: 0 acknowledged messages
lost, 0 duplicates after resend, every customer served again within 10 s).

    .venv/bin/python -m tests.benchmarks.kill_under_load [--customers 20] [--interval 0.2]
        [--before 8] [--after 12]

Real processes (tests/benchmarks/deployment.py): one `chat-service store`, one
`redis-server`, instances A and B attached to that store with REDIS_URL (one detection
worker each, flood limits lifted). No load balancer process: each customer is given an
instance (customer i starts on A if i is even, else B) and, like the widget
(chat_service/web/static/shared/client.js), keeps every message it sent in an outbox until
its `message.ack`; when its socket drops it reconnects after a backoff (0.5 s doubling to
15 s, jittered by +-25 %), trying its instance first and, on a failed connect, the other
one (what a load balancer would do for it); on `hello` it sends everything still in the
outbox again with the same client_id and conversation_id. Each customer composes a new
message every `--interval` seconds, connected or not (the outbox holds it), for
`--before` seconds, then A is killed with SIGKILL, then `--after` seconds more; then it
stops composing and waits (60 s at most) until its outbox is empty.

Checked from the store (a direct read of the messages collection through the store's URI,
not through an instance): every acknowledged client_id is stored exactly once, under the
message id, conversation and seq its ack named; no client_id is stored twice; each
conversation's seqs run 1..n with no gap; nothing was left unacknowledged. Printed per
customer: the time from the kill to its first ack after the kill (A's customers: on B
after reconnecting; B's: their steady traffic), max and p50 for each group, and how many
acks were replays (`duplicate: true`: A had stored the message, the ack never arrived).

Exits 1 if a check fails. Everything binds 127.0.0.1, stops by itself (about 2-3 minutes
on 2 cores, most of it the instances' start) and removes its processes and temporary
directory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from pymongo import AsyncMongoClient

from chat_service.auth import Role
from chat_service.settings import Settings
from tests.benchmarks.chat_throughput import percentile
from tests.benchmarks.deployment import REPO, Instance, Tokens, deployment, load_average

BACKOFF_START_SECS = 0.5  # the widget's BACKOFF_START_MS
BACKOFF_MAX_SECS = 15.0
CONNECT_TIMEOUT_SECS = 5.0
DRAIN_BOUND_SECS = 60.0
GOAL_SERVED_AGAIN_SECS = 10.0

Json = dict[str, Any]


@dataclass
class Ack:
    message_id: str
    conversation_id: str
    seq: int
    duplicate: bool
    at: float  # time.monotonic()


@dataclass
class Customer:
    """A widget-like client: an outbox kept until acked, resent after every reconnect."""

    n: int
    sub: str
    urls: list[str]  # its own instance first, then the other
    outbox: dict[str, Json] = field(default_factory=dict)  # client_id -> frame
    acks: dict[str, Ack] = field(default_factory=dict)
    errors: list[Json] = field(default_factory=list)
    conversation_id: str | None = None
    ws: aiohttp.ClientWebSocketResponse | None = None
    connected_to: list[tuple[float, int]] = field(default_factory=list)  # (when, url index)
    replays: int = 0

    async def run(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        """Connect, read, reconnect (alternating instances on a failed connect) until
        `stop` is set and the outbox is empty."""
        backoff = BACKOFF_START_SECS
        target = 0
        while not (stop.is_set() and not self.outbox):
            try:
                ws = await session.ws_connect(self.urls[target])
            except (aiohttp.ClientError, OSError, TimeoutError):
                target = 1 - target  # what a load balancer would do: another instance
                await asyncio.sleep(backoff * random.uniform(0.75, 1.25))
                backoff = min(backoff * 2, BACKOFF_MAX_SECS)
                continue
            hellos = len(self.connected_to)
            try:
                await self._read(ws, target, stop)
            finally:
                self.ws = None
                with contextlib.suppress(Exception):
                    await ws.close()
            if stop.is_set() and not self.outbox:
                break
            if len(self.connected_to) > hellos:
                backoff = BACKOFF_START_SECS  # the widget resets it on hello
            await asyncio.sleep(backoff * random.uniform(0.75, 1.25))
            backoff = min(backoff * 2, BACKOFF_MAX_SECS)

    async def _read(
        self, ws: aiohttp.ClientWebSocketResponse, target: int, stop: asyncio.Event
    ) -> None:
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame: Json = json.loads(msg.data)
            kind = frame.get("type")
            if kind == "hello":
                self.connected_to.append((time.monotonic(), target))
                self.ws = ws
                for pending in list(self.outbox.values()):  # the widget's _flush
                    await self._send(pending)
            elif kind == "message.ack":
                client_id = frame["client_id"]
                if self.outbox.pop(client_id, None) is None:
                    continue  # an ack of a copy sent twice on one socket
                self.conversation_id = frame["conversation_id"]
                if frame.get("duplicate"):
                    self.replays += 1
                self.acks[client_id] = Ack(
                    frame["message_id"],
                    frame["conversation_id"],
                    frame["seq"],
                    bool(frame.get("duplicate")),
                    time.monotonic(),
                )
                if stop.is_set() and not self.outbox:
                    return
            elif kind == "error" and frame.get("ref") in self.outbox:
                self.errors.append(frame)
                self.outbox.pop(frame["ref"])

    async def _send(self, frame: Json) -> None:
        if self.ws is None:
            return
        if self.conversation_id is not None and "conversation_id" not in frame:
            frame["conversation_id"] = self.conversation_id  # as the widget names it
        with contextlib.suppress(ConnectionError, aiohttp.ClientError, RuntimeError):
            await self.ws.send_str(json.dumps(frame))

    async def compose(self, i: int) -> None:
        client_id = uuid.uuid4().hex
        frame: Json = {
            "type": "message.send",
            "client_id": client_id,
            "kind": "text",
            "text": f"message {i} from customer {self.n}: where is my order?",
        }
        self.outbox[client_id] = frame
        await self._send(frame)


async def compose_until(customer: Customer, interval: float, until: float) -> None:
    await asyncio.sleep(interval * random.random())
    i = 0
    while time.monotonic() < until:
        # The first message opens the conversation: wait for its ack before the next, as a
        # person waits to see the chat open (otherwise several could race to open one).
        if customer.conversation_id is None and customer.outbox:
            await asyncio.sleep(0.01)
            continue
        i += 1
        await customer.compose(i)
        await asyncio.sleep(interval)


async def check_store(uri: str, database: str, customers: list[Customer]) -> list[str]:
    """Every acked client_id stored exactly once as acked; no client_id twice; seqs 1..n."""
    problems: list[str] = []
    client: AsyncMongoClient[Json] = AsyncMongoClient(uri, tz_aware=True)
    try:
        messages = client[database]["messages"]
        for customer in customers:
            docs = await messages.find(
                {"sender.role": "customer", "sender.id": customer.sub},
                {"_id": 1, "client_id": 1, "conversation_id": 1, "seq": 1},
            ).to_list()
            counts = Counter(d["client_id"] for d in docs)
            twice = [c for c, k in counts.items() if k > 1]
            if twice:
                problems.append(f"{customer.sub}: client_ids stored more than once: {twice}")
            by_client = {d["client_id"]: d for d in docs}
            for client_id, ack in customer.acks.items():
                doc = by_client.get(client_id)
                if doc is None:
                    problems.append(f"{customer.sub}: acked {client_id} not stored (LOST)")
                elif (doc["_id"], doc["conversation_id"], doc["seq"]) != (
                    ack.message_id,
                    ack.conversation_id,
                    ack.seq,
                ):
                    problems.append(f"{customer.sub}: {client_id} stored as {doc}, acked {ack}")
            unacked = set(by_client) - set(customer.acks)
            if unacked:
                problems.append(f"{customer.sub}: stored but never acked: {len(unacked)}")
            if customer.outbox:
                problems.append(f"{customer.sub}: {len(customer.outbox)} never acknowledged")
            if customer.errors:
                problems.append(f"{customer.sub}: error frames {customer.errors[:3]}")
        conversations = {a.conversation_id for c in customers for a in c.acks.values()}
        for conversation in conversations:
            seqs = sorted(
                d["seq"]
                for d in await messages.find(
                    {"conversation_id": conversation}, {"seq": 1}
                ).to_list()
            )
            if seqs != list(range(1, len(seqs) + 1)):
                problems.append(f"{conversation}: seqs not 1..n: {seqs}")
    finally:
        await client.close()
    return problems


async def bench(args: argparse.Namespace) -> int:
    tokens = Tokens()
    database = Settings.load(REPO / "config", None, {}).config.store.database
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="kill-under-load-") as tmp:
        async with deployment(Path(tmp)) as dep:
            a = await dep.start_instance("A")
            b = await dep.start_instance("B")
            pair: list[Instance] = [a, b]
            customers = []
            for n in range(args.customers):
                token = tokens.issue(Role.CUSTOMER, f"kill-cust-{n}")
                home, other = pair[n % 2], pair[1 - n % 2]
                customers.append(
                    Customer(n, f"kill-cust-{n}", [home.ws_url + token, other.ws_url + token])
                )
            stop = asyncio.Event()
            timeout = aiohttp.ClientTimeout(total=None, connect=CONNECT_TIMEOUT_SECS)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                readers = [asyncio.create_task(c.run(session, stop)) for c in customers]
                start = time.monotonic()
                killed_at = start + args.before
                until = killed_at + args.after
                writers = [
                    asyncio.create_task(compose_until(c, args.interval, until)) for c in customers
                ]
                await asyncio.sleep(max(0.0, killed_at - time.monotonic()))
                killed_at = time.monotonic()
                a.kill()
                await a.process.wait()
                print(f"A killed at +{killed_at - start:.1f} s, load {load_average()}")
                await asyncio.gather(*writers)
                stop.set()
                drain_until = time.monotonic() + DRAIN_BOUND_SECS
                while time.monotonic() < drain_until:
                    if not any(c.outbox for c in customers):
                        break
                    await asyncio.sleep(0.05)  # many outboxes: polled
                if any(c.outbox for c in customers):
                    print(f"outboxes not empty after {DRAIN_BOUND_SECS:g} s")
                for task in readers:
                    task.cancel()
                await asyncio.gather(*readers, return_exceptions=True)
            problems = await check_store(dep.store_uri, database, customers)
    return report(customers, killed_at, problems, args, load_before)


def report(
    customers: list[Customer],
    killed_at: float,
    problems: list[str],
    args: argparse.Namespace,
    load_before: str,
) -> int:
    acked = sum(len(c.acks) for c in customers)
    replays = sum(c.replays for c in customers)
    print()
    print(
        f"kill -9 under load - {args.customers} customers (half on A, half on B), a message "
        f"every {args.interval:g} s each, A killed after {args.before:g} s, {args.after:g} s "
        "more"
    )
    print(f"acknowledged messages {acked}, of which replays (duplicate: true) {replays}")
    goal_ok = True
    for name, group in (("A's", customers[0::2]), ("B's", customers[1::2])):
        served = []
        for c in group:
            after = [ack.at for ack in c.acks.values() if ack.at > killed_at]
            served.append(min(after) - killed_at if after else float("inf"))
        worst = max(served)
        goal_ok = goal_ok and worst < GOAL_SERVED_AGAIN_SECS
        print(
            f"{name} customers: kill -> first ack after it p50 {statistics.median(served):.2f} s,"
            f" p90 {percentile(served, 90):.2f} s, max {worst:.2f} s"
        )
    hellos = [
        min((at for at, t in c.connected_to if t == 1 and at > killed_at), default=float("inf"))
        - killed_at
        for c in customers[0::2]
    ]
    moved = sum(1 for h in hellos if h != float("inf"))
    print(
        f"A's customers reconnected to B: {moved} of {len(hellos)}; kill -> hello on B p50 "
        f"{statistics.median(hellos):.2f} s, max {max(hellos):.2f} s (the client's backoff: "
        f"{BACKOFF_START_SECS:g} s, then {2 * BACKOFF_START_SECS:g} s after A refused, each "
        "+-25 %)"
    )
    print("store check: " + ("OK" if not problems else f"{len(problems)} problems"))
    for problem in problems[:20]:
        print(f"  {problem}")
    print(
        f"goals: 0 acknowledged lost, 0 duplicates: {'PASS' if not problems else 'FAIL'}; "
        f"every customer served again within {GOAL_SERVED_AGAIN_SECS:g} s: "
        f"{'PASS' if goal_ok else 'FAIL'}"
    )
    print(f"load average before {load_before}, after {load_average()}")
    return 0 if not problems else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.kill_under_load",
        description="kill -9 of one of two instances under load: lost, duplicates, recovery.",
    )
    parser.add_argument("--customers", type=int, default=20, help="customers (20)")
    parser.add_argument("--interval", type=float, default=0.2, help="s between messages (0.2)")
    parser.add_argument("--before", type=float, default=8.0, help="s of load before the kill")
    parser.add_argument("--after", type=float, default=12.0, help="s of load after the kill")
    args = parser.parse_args(argv)
    if args.customers < 2 or args.interval <= 0 or args.before <= 0 or args.after <= 0:
        parser.error("--customers >= 2; --interval, --before, --after positive")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(bench(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
