"""Customers -> agents through the full chat path, beside its two ceilings, in one run.

    .venv/bin/python -m tests.benchmarks.chat_throughput [--customers 20] [--agents 4]
        [--seconds 4] [--rates 10,25,50] [--window 4] [--no-detection] [--profile FILE]

Three modes share one embedded store child (started here on a temporary directory) and
one client load generator (a child process running this module with `--loadgen`, so its
CPU is not charged to the server's event loop):

- relay (ceiling A): a bare aiohttp WebSocket relay written here. A customer frame gets an
  ack-shaped answer and a message.new-shaped frame goes to the customer's agent. No store,
  no scan, no validation.
- store (ceiling B): AsyncMongoClient `insert_one` of the documents the full path writes
  (built by the server's own `message_document`, the texts scanned and masked as the
  server does) into the messages collection of a database given every index the server
  creates at start-up, from as many concurrent writers as there are customers. mongoeco
  keeps every collection in shared SQLite tables with one physical index per MongoDB
  index, so an insert into any collection maintains all of them: with only the messages
  indexes (before) the ceiling was a cheaper store than the server's. Each mode drops its
  database when done, so the next one meets the same set of indexes.
- full: the real app (`create_app`) served in this process with AppRunner/TCPSite.
  Customers open one conversation each, agents join them (customer i -> agent i % M),
  then messages flow customer -> server -> agent.

Each mode is measured at saturation (closed loop: each customer keeps `--window` messages
in flight; each store writer one insert, as the server handles one socket's frames one at
a time) and at fixed offered rates (open loop: sends are scheduled at the given total rate
across all customers whatever the answers; latency counts from the scheduled time, so a
stalled server cannot hide its queue). Rates are totals across all customers, in msgs/s.

This process samples its own event-loop lag throughout (sleep 10 ms, record the overshoot);
in the full mode that is the server's loop. The load generator samples its own lag too
("gen lag"): if that is high, the generator, not the server, was the limit.

Everything listens on 127.0.0.1 only, every wait is bounded, and the store child, the
load generator, the detection pool and the temporary directory are removed on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import itertools
import json
import logging
import math
import os
import pstats
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import aiohttp
from aiohttp import web
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from chat_service import keys
from chat_service.actions.messages import message_document
from chat_service.app import create_app
from chat_service.auth import Identity, Role
from chat_service.policy.assess import assess
from chat_service.protocol.events import FindingOut
from chat_service.protocol.render import mask_sensitive
from chat_service.scanning import PoolScanner, Scanner
from chat_service.settings import Secret, Settings
from chat_service.storage.conversations import Conversation
from chat_service.storage.crypto import MASTER_KEY_BYTES, FieldCipher
from chat_service.storage.db import Store
from chat_service.storage.messages import conv_seq, message_id_for
from tests.benchmarks.load_options import load_parser
from tests.helpers.settings import settings_with

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
LAG_INTERVAL_SECS = 0.010
WARMUP_SECS = 1.0
CONNECT_TIMEOUT_SECS = 30.0
SETUP_TIMEOUT_SECS = 60.0
DRAIN_TIMEOUT_SECS = 10.0
STORE_START_TIMEOUT_SECS = 60.0
STOP_TIMEOUT_SECS = 10.0
DETECTION_START_TIMEOUT_SECS = 180.0
CPU_SAMPLE_SECS = 0.2
CPU_ROLES_EVERY = 10  # samples between walks of /proc for the children

GOAL_THROUGHPUT_RATIO = 0.80
GOAL_ADDED_P50_MS = 5.0
GOAL_LOOP_LAG_MS = 20.0

# Customer messages, cycled; two carry personal information, so detection finds something
# and the agents' copies are masked, as in real traffic.
TEXTS = (
    "Hello, my order has not arrived yet. Could you check where it is, please?",
    "I was charged twice for the same order last week and would like a refund.",
    "You can reach me at jane.doe@example.com if the call drops.",
    "The parcel should go to my office instead; my phone is +44 20 7946 0958.",
    "Can I change the size of the shoes I ordered from 42 to 43?",
    "The app says my payment failed but the bank shows it went through.",
    "My account is locked after I tried to reset the password three times.",
    "Thanks, that solved it. Have a nice day!",
)

Mode = Literal["relay", "store", "full"]
Json = dict[str, Any]

logger = logging.getLogger("chat_throughput")


# --------------------------------------------------------------------------- measurements


@dataclass(slots=True)
class PhaseSpec:
    name: str
    rate: float  # total offered msgs/s; 0 = saturation (closed loop)
    seconds: float
    reported: bool = True


@dataclass(slots=True)
class Tally:
    """One phase's counts and latencies (ms), from the generator or the store writers."""

    name: str
    rate: float
    seconds: float
    reported: bool = True
    start: float = 0.0  # time.monotonic(): CLOCK_MONOTONIC, the same in every process
    end: float = 0.0
    sent: int = 0
    acked_in_window: int = 0
    delivered_in_window: int = 0
    errors: int = 0
    lost: int = 0
    ack_ms: list[float] = field(default_factory=list)
    agent_ms: list[float] = field(default_factory=list)
    gen_lag_ms: list[float] = field(default_factory=list)

    def ack(self, sent_at: float, now: float) -> None:
        self.ack_ms.append(round((now - sent_at) * 1000.0, 3))
        if self.start <= now <= self.end:
            self.acked_in_window += 1

    def deliver(self, sent_at: float, now: float) -> None:
        self.agent_ms.append(round((now - sent_at) * 1000.0, 3))
        if self.start <= now <= self.end:
            self.delivered_in_window += 1

    @classmethod
    def from_json(cls, raw: Json) -> Tally:
        return cls(**raw)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


async def sample_lag(out: list[tuple[float, float]]) -> None:
    """Record (when, overshoot in ms) of 10 ms sleeps until cancelled."""
    while True:
        started = time.monotonic()
        await asyncio.sleep(LAG_INTERVAL_SECS)
        now = time.monotonic()
        out.append((now, max(0.0, (now - started - LAG_INTERVAL_SECS) * 1000.0)))


@contextlib.asynccontextmanager
async def running(work: Awaitable[None], name: str) -> AsyncIterator[None]:
    """`work` as a task for the duration of the block, cancelled and awaited after it."""
    task = asyncio.ensure_future(work)
    task.set_name(name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def lag_sampler() -> AsyncIterator[list[tuple[float, float]]]:
    samples: list[tuple[float, float]] = []
    async with running(sample_lag(samples), "lag-sampler"):
        yield samples


def lag_between(samples: list[tuple[float, float]], start: float, end: float) -> list[float]:
    return [lag for when, lag in samples if start <= when <= end]


async def sleep_until(when: float) -> None:
    delay = when - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


def phases_for(seconds: float, rates: list[float]) -> list[PhaseSpec]:
    """Warm-up at the lowest rate, the fixed rates ascending, then saturation.

    Fixed rates come first so that every mode reaches them with the same number of stored
    messages (the stock mongoeco engine's insert cost grew with the collection; the
    embedded engine's no longer does, but the order keeps the modes comparable).
    """
    specs = [PhaseSpec("warmup", min(rates), WARMUP_SECS, reported=False)]
    specs.extend(PhaseSpec(f"{rate:g}/s offered", rate, seconds) for rate in sorted(rates))
    specs.append(PhaseSpec("saturation", 0.0, seconds))
    return specs


# --------------------------------------------------------------------------- load generator


class LoadGenerator:
    """N customer sockets and M agent sockets; runs the phases, returns their tallies."""

    def __init__(self, spec: Json) -> None:
        self.mode: Mode = spec["mode"]
        self.customer_urls: list[str] = spec["customer_urls"]
        self.agent_urls: list[str] = spec["agent_urls"]
        self.window: int = spec["window"]
        self.phases = [PhaseSpec(**p) for p in spec["phases"]]
        self.run_id = secrets.token_hex(4)
        self.counter = itertools.count()
        n = len(self.customer_urls)
        self.conversations: list[str | None] = [None] * n
        self.windows = [asyncio.Semaphore(self.window) for _ in range(n)]
        self.agent_subs: list[str] = [""] * len(self.agent_urls)
        self.assigned: list[set[str]] = [set() for _ in self.agent_urls]
        # client_id -> (scheduled send time, tally, customer index)
        self.pending_ack: dict[str, tuple[float, Tally, int]] = {}
        # message id -> (scheduled send time, tally): agents never see a customer's
        # client_id, so their frames are matched by the message id the server derives.
        self.pending_agent: dict[str, tuple[float, Tally]] = {}
        self.customer_subs: list[str] = [""] * n
        self.error_samples: list[Json] = []
        self.idle = asyncio.Event()  # set when nothing is pending

    def _check_idle(self) -> None:
        if not self.pending_ack and not self.pending_agent:
            self.idle.set()

    async def run(self) -> list[Tally]:
        timeout = aiohttp.ClientTimeout(total=None, connect=CONNECT_TIMEOUT_SECS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            agents = [await self._connect(session, url) for url in self.agent_urls]
            for j, (_, hello) in enumerate(agents):
                self.agent_subs[j] = str(hello.get("sub", f"agent-{j}"))
            customers = []
            for i, url in enumerate(self.customer_urls):
                ws, hello = await self._connect(session, url)
                self.customer_subs[i] = str(hello["sub"])
                customers.append(ws)
            readers = [
                asyncio.create_task(self._read_agent(j, ws)) for j, (ws, _) in enumerate(agents)
            ]
            readers += [
                asyncio.create_task(self._read_customer(i, ws)) for i, ws in enumerate(customers)
            ]
            try:
                setup = await self._setup(customers, [ws for ws, _ in agents])
                return [setup] + [await self._phase(phase, customers) for phase in self.phases]
            finally:
                for task in readers:
                    task.cancel()
                await asyncio.gather(*readers, return_exceptions=True)
                for ws in customers + [ws for ws, _ in agents]:
                    with contextlib.suppress(Exception):
                        await ws.close()

    async def _connect(
        self, session: aiohttp.ClientSession, url: str
    ) -> tuple[aiohttp.ClientWebSocketResponse, Json]:
        ws = await session.ws_connect(url, autoping=True, max_msg_size=1024 * 1024)
        hello: Json = json.loads(await ws.receive_str(timeout=CONNECT_TIMEOUT_SECS))
        if hello.get("type") != "hello":
            raise RuntimeError(f"expected hello, got {hello}")
        return ws, hello

    async def _send(
        self, i: int, ws: aiohttp.ClientWebSocketResponse, tally: Tally, scheduled: float
    ) -> None:
        n = next(self.counter)
        client_id = f"{self.run_id}-{n}"
        frame: Json = {"type": "message.send", "client_id": client_id, "kind": "text"}
        conversation = self.conversations[i]
        if conversation is not None:
            frame["conversation_id"] = conversation  # a real client names its conversation
        frame["text"] = TEXTS[n % len(TEXTS)]
        self.pending_ack[client_id] = (scheduled, tally, i)
        self.pending_agent[message_id_for("customer", self.customer_subs[i], client_id)] = (
            scheduled,
            tally,
        )
        tally.sent += 1
        self.idle.clear()
        await ws.send_str(json.dumps(frame))

    async def _read_customer(self, i: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            now = time.monotonic()
            frame: Json = json.loads(msg.data)
            kind = frame.get("type")
            if kind == "message.ack":
                entry = self.pending_ack.pop(frame["client_id"], None)
                if self.conversations[i] is None:
                    self.conversations[i] = frame["conversation_id"]
                if entry is not None:
                    entry[1].ack(entry[0], now)
                    self.windows[i].release()
                    self._check_idle()
            elif kind == "error":
                self._on_error(frame)
                ref = str(frame.get("ref"))
                entry = self.pending_ack.pop(ref, None)
                if entry is not None:
                    self.pending_agent.pop(
                        message_id_for("customer", self.customer_subs[i], ref), None
                    )
                    entry[1].errors += 1
                    self.windows[i].release()
                    self._check_idle()

    async def _read_agent(self, j: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            now = time.monotonic()
            frame: Json = json.loads(msg.data)
            kind = frame.get("type")
            if kind == "message.new":
                entry = self.pending_agent.pop(frame["message"]["id"], None)
                if entry is not None:
                    entry[1].deliver(entry[0], now)
                    self._check_idle()
            elif kind == "conversation.assigned":
                if frame.get("agent_id") == self.agent_subs[j]:
                    self.assigned[j].add(frame["conversation_id"])
            elif kind == "error":
                self._on_error(frame)

    def _on_error(self, frame: Json) -> None:
        if len(self.error_samples) < 5:
            self.error_samples.append(frame)
            print(f"server error frame: {frame}", file=sys.stderr)

    async def _wait(self, done: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + SETUP_TIMEOUT_SECS
        while not done():
            if time.monotonic() > deadline:
                raise RuntimeError(f"setup timed out waiting for {what}: {self.error_samples}")
            await asyncio.sleep(0.01)

    async def _setup(
        self,
        customers: list[aiohttp.ClientWebSocketResponse],
        agents: list[aiohttp.ClientWebSocketResponse],
    ) -> Tally:
        """Each customer opens its conversation; in the full mode its agent joins it."""
        setup = Tally("setup", 0.0, 0.0, reported=False, start=0.0, end=math.inf)
        for i, ws in enumerate(customers):
            await self._send(i, ws, setup, time.monotonic())
        await self._wait(lambda: all(c is not None for c in self.conversations), "opening acks")
        if self.mode == "full":
            for i, conversation in enumerate(self.conversations):
                join = {"type": "conversation.join", "conversation_id": conversation}
                await agents[i % len(agents)].send_str(json.dumps(join))
            await self._wait(
                lambda: all(
                    c in self.assigned[i % len(agents)] for i, c in enumerate(self.conversations)
                ),
                "conversation.assigned",
            )
        await self._wait(lambda: not self.pending_ack and not self.pending_agent, "deliveries")
        if setup.errors:
            raise RuntimeError(f"errors while opening conversations: {self.error_samples}")
        return setup

    async def _phase(
        self, phase: PhaseSpec, customers: list[aiohttp.ClientWebSocketResponse]
    ) -> Tally:
        start = time.monotonic() + 0.05
        tally = Tally(phase.name, phase.rate, phase.seconds, phase.reported, start=start)
        tally.end = start + phase.seconds
        if phase.rate <= 0:
            self.windows = [asyncio.Semaphore(self.window) for _ in customers]
            senders = [self._closed_loop(i, ws, tally) for i, ws in enumerate(customers)]
        else:
            senders = [self._open_loop(i, ws, tally) for i, ws in enumerate(customers)]
        async with lag_sampler() as lag:
            await asyncio.gather(*senders)
            await self._drain(tally)
        tally.gen_lag_ms = [round(v, 3) for v in lag_between(lag, tally.start, tally.end)]
        return tally

    async def _closed_loop(self, i: int, ws: aiohttp.ClientWebSocketResponse, t: Tally) -> None:
        window = self.windows[i]
        await sleep_until(t.start)
        while True:
            await window.acquire()
            now = time.monotonic()
            if now >= t.end:
                return
            await self._send(i, ws, t, now)

    async def _open_loop(self, i: int, ws: aiohttp.ClientWebSocketResponse, t: Tally) -> None:
        n = len(self.customer_urls)
        scheduled = t.start + i / t.rate
        while scheduled < t.end:
            await sleep_until(scheduled)
            await self._send(i, ws, t, scheduled)
            scheduled += n / t.rate

    async def _drain(self, tally: Tally) -> None:
        if self.pending_ack or self.pending_agent:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DRAIN_TIMEOUT_SECS):
                    await self.idle.wait()
        tally.lost = len(self.pending_ack.keys() | self.pending_agent.keys())
        self.pending_ack.clear()
        self.pending_agent.clear()


async def loadgen_main() -> int:
    spec: Json = json.loads(await asyncio.to_thread(sys.stdin.read))
    tallies = await LoadGenerator(spec).run()
    sys.stdout.write(json.dumps([asdict(t) for t in tallies]) + "\n")
    sys.stdout.flush()
    return 0


async def run_loadgen(
    mode: Mode, customer_urls: list[str], agent_urls: list[str], args: argparse.Namespace
) -> list[Tally]:
    """Run the load generator child with these sockets and phases; its tallies."""
    phases = phases_for(args.seconds, args.rates)
    spec = {
        "mode": mode,
        "customer_urls": customer_urls,
        "agent_urls": agent_urls,
        "window": args.window,
        "phases": [asdict(p) for p in phases],
    }
    budget = SETUP_TIMEOUT_SECS + sum(p.seconds + DRAIN_TIMEOUT_SECS for p in phases)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.benchmarks.chat_throughput",
        "--loadgen",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    try:
        async with asyncio.timeout(budget):
            out, _ = await process.communicate(json.dumps(spec).encode())
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"load generator ({mode}) failed with exit code {process.returncode}")
    return [Tally.from_json(raw) for raw in json.loads(out)]


# --------------------------------------------------------------------------- ceiling A: relay


class Relay:
    """The bare aiohttp relay: customer frame -> ack to it + message.new to its agent."""

    def __init__(self, agents: int) -> None:
        self.agents: dict[int, web.WebSocketResponse] = {}
        self.agent_count = agents

    async def handler(self, request: web.Request) -> web.StreamResponse:
        role = request.query["role"]
        index = int(request.query["id"])
        sub = f"{role}-{index}"
        ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=65536)
        await ws.prepare(request)
        hello = {"type": "hello", "role": role, "sub": sub, "heartbeat_secs": 20.0}
        await ws.send_str(json.dumps(hello))
        if role == "agent":
            self.agents[index] = ws
            async for _ in ws:
                pass
            return ws
        conversation = "c_" + secrets.token_hex(12)
        seq = 0
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame: Json = json.loads(msg.data)
            if frame.get("type") != "message.send":
                continue
            seq += 1
            # As the server does: derived from the sender and its client_id.
            message_id = message_id_for("customer", sub, frame["client_id"])
            ack = {
                "type": "message.ack",
                "client_id": frame["client_id"],
                "message_id": message_id,
                "conversation_id": conversation,
                "seq": seq,
                "duplicate": False,
            }
            await ws.send_str(json.dumps(ack, ensure_ascii=False))
            new = {
                "type": "message.new",
                "message": {
                    "id": message_id,
                    "conversation_id": conversation,
                    "seq": seq,
                    "client_id": None,  # the sender's key goes back to the sender only
                    "sender": {"role": "customer", "id": sub},
                    "kind": frame["kind"],
                    "text": frame.get("text"),
                    "findings": [],
                    "created_at": datetime.now(UTC).isoformat(),
                    "consent": None,
                    "masked": False,
                    "attachment_id": None,
                    "location": None,
                },
            }
            agent = self.agents.get(index % self.agent_count)
            if agent is not None and not agent.closed:
                await agent.send_str(json.dumps(new, ensure_ascii=False))
        return ws


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[int]:
    """Serve `app` on 127.0.0.1 on a free port; yields the port."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def bench_relay(args: argparse.Namespace) -> list[Tally]:
    relay = Relay(args.agents)
    app = web.Application()
    app.router.add_get("/ws", relay.handler)
    async with serve(app) as port:
        base = f"ws://{HOST}:{port}/ws"
        return await run_loadgen(
            "relay",
            [f"{base}?role=customer&id={i}" for i in range(args.customers)],
            [f"{base}?role=agent&id={j}" for j in range(args.agents)],
            args,
        )


# --------------------------------------------------------------------------- ceiling B: store


@dataclass(frozen=True, slots=True)
class Prepared:
    """One of TEXTS as the server stores it: masked text and the findings it keeps."""

    text: str | None
    findings: list[FindingOut]


async def prepare_texts(scanner: Scanner) -> list[Prepared]:
    """Scan and mask TEXTS as chat_service.actions.messages does, so the store ceiling
    inserts the very documents the full path writes (none of TEXTS needs consent)."""
    prepared = []
    for text in TEXTS:
        findings = [FindingOut.model_validate(f) for f in await scanner.scan(text, None)]
        assessment = assess(text, findings, author_known_minor=False)
        masked, stored, masks = mask_sensitive(text, assessment.findings)
        if masks:
            raise RuntimeError(f"bench text needs consent, full path would differ: {text!r}")
        prepared.append(Prepared(masked, stored))
    return prepared


def message_doc(conversation: Conversation, prepared: list[Prepared], seq: int, n: int) -> Json:
    """The document chat_service.actions.messages.do_send_message builds for customer
    message `n`, with the fields MessageStore.insert adds."""
    client_id = f"store-{n}"
    sender = Identity(Role.CUSTOMER, conversation.customer_id)
    text = prepared[n % len(prepared)]
    doc = message_document(
        message_id=message_id_for(sender.role, sender.sub, client_id),
        conversation=conversation,
        seq=seq,
        client_id=client_id,
        sender=sender,
        kind="text",
        text=text.text,
        findings=text.findings,
        secrets=[],
        consent=None,
        created_at=datetime.now(UTC),
    )
    return doc | {"conv_seq": conv_seq(conversation.id, seq), "secrets_version": 0}


async def with_service_indexes(
    client: AsyncMongoClient[Json], database: str
) -> AsyncCollection[Json]:
    """The messages collection of `database`, after creating every index the server
    creates at start-up (key vault included). mongoeco keeps all collections' documents,
    and index entries, in shared SQLite tables with one physical index per MongoDB index,
    so an insert into one collection maintains every collection's indexes: a ceiling
    measured with only the messages indexes was a cheaper store than the server's."""
    store = Store(client, database, "embedded")
    await store.ensure_indexes()
    cipher = FieldCipher(client, database, secrets.token_bytes(MASTER_KEY_BYTES))
    try:
        await cipher.start()  # the key vault's index
    finally:
        await cipher.close()
    return store.db["messages"]


async def bench_store(uri: str, scanner: Scanner, args: argparse.Namespace) -> list[Tally]:
    client: AsyncMongoClient[Json] = await asyncio.to_thread(
        lambda: AsyncMongoClient(
            uri, tz_aware=True, appname="chat-bench", serverSelectionTimeoutMS=3000
        )
    )
    database = "bench_store_" + secrets.token_hex(4)
    try:
        collection = await with_service_indexes(client, database)
        counter = itertools.count()
        prepared = await prepare_texts(scanner)
        now = datetime.now(UTC)
        writers = [
            Conversation("c_" + secrets.token_hex(12), f"cust-{i}", "open", None, now, None)
            for i in range(args.customers)
        ]
        seqs = [itertools.count(1) for _ in writers]

        async def insert(w: int, tally: Tally, scheduled: float) -> None:
            doc = message_doc(writers[w], prepared, next(seqs[w]), next(counter))
            tally.sent += 1
            try:
                await collection.insert_one(doc)
            except Exception:
                tally.errors += 1
                raise
            now = time.monotonic()
            tally.ack(scheduled, now)

        async def closed_loop(w: int, tally: Tally) -> None:
            await sleep_until(tally.start)
            while (now := time.monotonic()) < tally.end:
                await insert(w, tally, now)

        async def open_loop(w: int, tally: Tally) -> None:
            scheduled = tally.start + w / tally.rate
            inserts: list[asyncio.Task[None]] = []
            while scheduled < tally.end:
                await sleep_until(scheduled)
                inserts.append(asyncio.create_task(insert(w, tally, scheduled)))
                scheduled += len(writers) / tally.rate
            if inserts:
                _, late = await asyncio.wait(inserts, timeout=DRAIN_TIMEOUT_SECS)
                tally.lost += len(late)
                for task in late:
                    task.cancel()
                await asyncio.gather(*inserts, return_exceptions=True)

        # As the full path does: each customer's opening message first.
        setup = Tally("setup", 0.0, 0.0, reported=False, end=math.inf)
        await asyncio.gather(*(insert(w, setup, time.monotonic()) for w in range(len(writers))))
        tallies: list[Tally] = [setup]
        for phase in phases_for(args.seconds, args.rates):
            start = time.monotonic() + 0.05
            tally = Tally(phase.name, phase.rate, phase.seconds, phase.reported, start=start)
            tally.end = start + phase.seconds
            loop = closed_loop if phase.rate <= 0 else open_loop
            async with asyncio.timeout(phase.seconds + DRAIN_TIMEOUT_SECS + 10.0):
                await asyncio.gather(*(loop(w, tally) for w in range(len(writers))))
            tallies.append(tally)
        return tallies
    finally:
        await client.drop_database(database)  # its indexes would slow the next mode
        await client.close()


# --------------------------------------------------------------------------- full path


class NoFindings:
    """--no-detection: a scanner that finds nothing, instantly."""

    async def scan(self, text: str, language: str | None, owner: str = "") -> list[dict[str, Any]]:
        return []


async def bench_full(
    uri: str, scanner: Scanner, data_dir: Path, args: argparse.Namespace
) -> list[Tally]:
    secret = secrets.token_urlsafe(48)
    base = Settings.load(REPO / "config", data_dir, {"CHAT_SERVICE_SECRET": secret})
    base = base.with_overrides(secret=Secret(secret))
    database = "bench_full_" + secrets.token_hex(4)
    settings = settings_with(
        base,
        store={"database": database},
        # Load, not abuse: lift the per-socket flood limits and the slow-reader queue bound.
        limits={
            "frames_per_sec": 1_000_000.0,
            "frame_burst": 1_000_000,
            "rate_violations_before_close": 1_000_000,
            "messages_per_sec": 1_000_000.0,
            "message_burst": 1_000_000,
            "frames_in_flight_per_customer": 1_000,
            "send_queue_frames": 100_000,
        },
    )
    app = create_app(settings, store_uri=uri, scanner=scanner)
    tokens = app[keys.TOKENS]
    try:
        async with serve(app) as port:
            base_url = f"ws://{HOST}:{port}/ws?token="
            return await run_loadgen(
                "full",
                [
                    base_url + tokens.issue(Role.CUSTOMER, f"cust-{i}")
                    for i in range(args.customers)
                ],
                [base_url + tokens.issue(Role.AGENT, f"agent-{j}") for j in range(args.agents)],
                args,
            )
    finally:
        client: AsyncMongoClient[Json] = await asyncio.to_thread(AsyncMongoClient, uri)
        try:
            await client.drop_database(database)  # as the store mode: leave the store as found
        finally:
            await client.close()


# --------------------------------------------------------------------------- processes


async def start_store(path: Path) -> tuple[asyncio.subprocess.Process, str]:
    """The embedded store child on `path`; its stderr goes to `path`.log."""
    log = await asyncio.to_thread(path.with_suffix(".log").open, "wb")
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "chat_service.storage.embedded_server",
            "--path",
            str(path),
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            cwd=REPO,
        )
    finally:
        log.close()  # the child holds its own descriptor
    assert process.stdout is not None
    try:
        async with asyncio.timeout(STORE_START_TIMEOUT_SECS):
            uri = (await process.stdout.readline()).decode().strip()
    except BaseException:
        await stop_process(process)
        raise
    if not uri.startswith("mongodb://"):
        await stop_process(process)
        raise RuntimeError("the embedded store did not start")
    return process, uri


async def stop_process(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT_SECS):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def detection(enabled: bool) -> AsyncIterator[Scanner]:
    """A DetectorPool with 1 worker behind PoolScanner, or NoFindings."""
    if not enabled:
        yield NoFindings()
        return
    from detectors import DetectorPool

    pool = DetectorPool(REPO / "config", workers=1)
    async with asyncio.timeout(DETECTION_START_TIMEOUT_SECS):
        await pool.start()
    try:
        scanner = PoolScanner(pool)
        await scanner.scan("warm-up: call me at +44 20 7946 0958", None)
        yield scanner
    finally:
        await pool.close()


# --------------------------------------------------------------------------- report


@dataclass(slots=True)
class Row:
    mode: str
    tally: Tally
    loop_lag_ms: list[float]
    docs: int  # messages stored (sent) in this mode by the end of the phase

    @property
    def throughput(self) -> float:
        """Completed messages per second within the phase window: deliveries to agents for
        relay/full (customer -> agent), acknowledged inserts for the store."""
        done = self.tally.acked_in_window if self.mode == "store" else self.delivered
        return done / self.tally.seconds

    @property
    def delivered(self) -> int:
        return self.tally.delivered_in_window

    def latency(self, q: float) -> float:
        """Customer send -> agent receive (store: per insert)."""
        values = self.tally.ack_ms if self.mode == "store" else self.tally.agent_ms
        return percentile(values, q)


def fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def report(
    rows: dict[Mode, list[Row]], args: argparse.Namespace, detection_on: bool, wall: float
) -> bool:
    scan = "with detection (DetectorPool, 1 worker)" if detection_on else "WITHOUT DETECTION"
    print()
    print(
        f"chat throughput - {args.customers} customers, {args.agents} agents, window "
        f"{args.window}, {args.seconds:g} s per phase, rates {args.rates} msgs/s total - "
        f"full path {scan}"
    )
    header = (
        f"{'mode':<18}{'load':<15}{'msgs/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'ack p50':>9}{'ack p99':>9}{'n':>7}{'lost':>6}{'err':>5}{'docs':>7}"
        f"{'lag p99':>9}{'lag max':>9}{'gen lag p99':>12}"
    )
    print(header)
    print("-" * len(header))
    names: dict[Mode, str] = {
        "relay": "relay (ceiling A)",
        "store": "store (ceiling B)",
        "full": "full path",
    }
    for mode in ("relay", "store", "full"):
        for row in rows[mode]:
            t = row.tally
            ack50 = math.nan if mode == "store" else percentile(t.ack_ms, 50)
            ack99 = math.nan if mode == "store" else percentile(t.ack_ms, 99)
            n = len(t.ack_ms) if mode == "store" else len(t.agent_ms)
            gen = math.nan if mode == "store" else percentile(t.gen_lag_ms, 99)
            print(
                f"{names[mode]:<18}{t.name:<15}{row.throughput:>9.1f}{fmt(row.latency(50)):>9}"
                f"{fmt(row.latency(99)):>9}{fmt(ack50):>9}{fmt(ack99):>9}{n:>7}{t.lost:>6}"
                f"{t.errors:>5}{'-' if mode == 'relay' else row.docs:>7}"
                f"{fmt(percentile(row.loop_lag_ms, 99)):>9}"
                f"{fmt(max(row.loop_lag_ms, default=math.nan)):>9}{fmt(gen):>12}"
            )
    print(
        "msgs/s: completed in the phase window (relay/full: delivered to agents; store: "
        "inserts). p50/p99: send -> agent message.new (store: one insert_one). ack: send -> "
        "message.ack. n: latency samples. lost: no answer within "
        f"{DRAIN_TIMEOUT_SECS:g} s after the phase. docs: messages in the collection at the "
        "end of the phase. lag: this process's event loop (full: the server's). gen lag: the "
        "load generator's loop."
    )

    modes: tuple[Mode, ...] = ("store", "full")
    for mode in modes:
        backlog = [r for r in rows[mode] if r.tally.lost]
        for prev, nxt in itertools.pairwise(rows[mode]):
            if prev in backlog:
                print(
                    f"note: {names[mode]} '{nxt.tally.name}' ran while the server still worked "
                    f"off the {prev.tally.lost} messages '{prev.tally.name}' had not answered"
                )
    relay, store, full = (
        next(r for r in rows[m] if r.tally.rate <= 0) for m in ("relay", "store", "full")
    )
    slower_mode, slower = min(("relay", relay), ("store", store), key=lambda x: x[1].throughput)
    ratio_relay = full.throughput / relay.throughput if relay.throughput else math.nan
    ratio_store = full.throughput / store.throughput if store.throughput else math.nan
    ratio_slower = full.throughput / slower.throughput if slower.throughput else math.nan
    print()
    print(
        f"saturation: full/relay {ratio_relay:.1%}, full/store {ratio_store:.1%}; "
        f"slower ceiling: {slower_mode}"
    )
    added: list[float] = []
    fixed: dict[Mode, list[Row]] = {m: [r for r in rows[m] if r.tally.rate > 0] for m in rows}
    for store_row, relay_row, full_row in zip(
        fixed["store"], fixed["relay"], fixed["full"], strict=True
    ):
        over_store = full_row.latency(50) - store_row.latency(50)
        over_relay = full_row.latency(50) - relay_row.latency(50)
        ack_over_store = percentile(full_row.tally.ack_ms, 50) - store_row.latency(50)
        added.append(over_store)
        print(
            f"{full_row.tally.name:<15} p50 added over the store ceiling {over_store:+.1f} ms "
            f"(ack {ack_over_store:+.1f} ms), over the relay {over_relay:+.1f} ms"
        )
    full_lag = [lag for row in rows["full"] for lag in row.loop_lag_ms]
    lag99 = percentile(full_lag, 99)
    lag_max = max(full_lag, default=math.nan)

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    goal_tp = ratio_slower >= GOAL_THROUGHPUT_RATIO
    worst_added = max(added, default=math.nan)
    goal_p50 = worst_added < GOAL_ADDED_P50_MS
    goal_lag = lag_max < GOAL_LOOP_LAG_MS
    print()
    print(f"goals ({scan}):")
    print(
        f"  throughput  full {full.throughput:.1f} msgs/s = {ratio_slower:.1%} of the slower "
        f"ceiling ({slower_mode} {slower.throughput:.1f}/s), goal >= "
        f"{GOAL_THROUGHPUT_RATIO:.0%}: {verdict(goal_tp)}"
    )
    print(
        f"  latency     worst p50 added over the store ceiling at the fixed rates "
        f"{worst_added:+.1f} ms, goal < {GOAL_ADDED_P50_MS:g} ms: {verdict(goal_p50)}"
    )
    print(
        f"  loop lag    server loop over all full-path phases p99 {lag99:.1f} ms, max "
        f"{lag_max:.1f} ms, goal max < {GOAL_LOOP_LAG_MS:g} ms: {verdict(goal_lag)}"
    )
    print(f"wall time {wall:.0f} s")
    return goal_tp and goal_p50 and goal_lag


# --------------------------------------------------------------------------- CPU accounting

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[int, float, float] | None:
    """(parent pid, own CPU seconds, reaped children's CPU seconds) from /proc/pid/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    ppid = int(fields[1])
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    reaped = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
    return ppid, own, reaped


def cpu_by_process(store_pid: int) -> dict[str, float]:
    """CPU seconds so far: this process (in the full mode, the server), the store child,
    the detection workers (the other live children) and the load generators (children
    that exited, counted in this process's reaped-children time)."""
    return cpu_of(children_by_role(store_pid))


def children_by_role(store_pid: int) -> dict[int, str]:
    """This process's live children by role: store, loadgen, detection (the others)."""
    me = os.getpid()
    roles = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        stat = _proc_stat(int(entry.name))
        if stat is None or stat[0] != me:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        pid = int(entry.name)
        roles[pid] = (
            "store" if pid == store_pid else "loadgen" if b"--loadgen" in cmdline else "detection"
        )
    return roles


def cpu_of(roles: dict[int, str]) -> dict[str, float]:
    """CPU seconds so far by role, reading only this process and the given children."""
    totals = {"server": 0.0, "store": 0.0, "detection": 0.0, "loadgen": 0.0}
    mine = _proc_stat(os.getpid())
    if mine is not None:
        totals["server"] = mine[1]
        totals["loadgen"] = mine[2]
    for pid, role in roles.items():
        stat = _proc_stat(pid)
        if stat is None:
            continue  # exited: a load generator's time is now in this process's reaped time
        totals[role] += stat[1]
        if role == "detection":
            totals[role] += stat[2]  # with what a worker's own children used (tesseract)
    return totals


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before[k] for k in before}


type CpuSamples = list[tuple[float, dict[str, float]]]


@contextlib.asynccontextmanager
async def cpu_sampler(store_pid: int) -> AsyncIterator[CpuSamples]:
    """(time.monotonic(), cpu_by_process) every CPU_SAMPLE_SECS, read in a thread so the
    server's loop only pays for scheduling it."""
    samples: CpuSamples = []

    async def sample() -> None:
        roles: dict[int, str] = {}
        for n in itertools.count():
            if n % CPU_ROLES_EVERY == 0:  # walking /proc costs more than reading a few pids
                roles = await asyncio.to_thread(children_by_role, store_pid)
            totals = await asyncio.to_thread(cpu_of, roles)
            samples.append((time.monotonic(), totals))
            await asyncio.sleep(CPU_SAMPLE_SECS)

    async with running(sample(), "cpu-sampler"):
        yield samples


def cpu_between(
    samples: CpuSamples, start: float, end: float
) -> tuple[float, dict[str, float]] | None:
    """(seconds, CPU seconds per process) between the last sample at or before `start` and
    the first at or after `end` (a window at most one sample interval wider on each side)."""
    before = [s for s in samples if s[0] <= start]
    after = [s for s in samples if s[0] >= end]
    if not before or not after:
        return None
    return after[0][0] - before[-1][0], cpu_delta(before[-1][1], after[0][1])


# --------------------------------------------------------------------------- main


async def profiled(path: Path | None, run: Awaitable[list[Tally]]) -> list[Tally]:
    """--profile: cProfile this process (the server) during the full mode, stats to `path`."""
    if path is None:
        return await run
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        return await run
    finally:
        profiler.disable()
        profiler.dump_stats(path)
        out = io.StringIO()
        stats = pstats.Stats(str(path), stream=out).sort_stats(pstats.SortKey.TIME)
        stats.print_stats(r"chat_service|aiohttp|pymongo|detectors|json|asyncio", 40)
        print(out.getvalue(), file=sys.stderr)


async def bench(args: argparse.Namespace) -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as tmp:
        store_process, uri = await start_store(Path(tmp) / "store.sqlite")
        try:
            async with (
                lag_sampler() as lag,
                cpu_sampler(store_process.pid) as cpu_samples,
                detection(not args.no_detection) as scanner,
            ):
                tallies: dict[Mode, list[Tally]] = {}
                cpu: dict[Mode, tuple[dict[str, float], float]] = {}
                runs: list[tuple[Mode, Callable[[], Awaitable[list[Tally]]]]] = [
                    ("relay", lambda: bench_relay(args)),
                    ("store", lambda: bench_store(uri, scanner, args)),
                    (
                        "full",
                        lambda: profiled(
                            args.profile, bench_full(uri, scanner, Path(tmp) / "data", args)
                        ),
                    ),
                ]
                for mode, run in runs:
                    elapsed = time.monotonic() - started
                    print(f"[{elapsed:5.1f} s] {mode}", file=sys.stderr, flush=True)
                    before, wall = cpu_by_process(store_process.pid), time.monotonic()
                    tallies[mode] = await run()
                    used = cpu_delta(before, cpu_by_process(store_process.pid))
                    cpu[mode] = (used, time.monotonic() - wall)
                rows: dict[Mode, list[Row]] = {mode: [] for mode in tallies}
                for mode, ts in tallies.items():
                    for t, docs in zip(ts, itertools.accumulate(t.sent for t in ts), strict=True):
                        if t.reported:
                            lags = lag_between(lag, t.start, t.end)
                            rows[mode].append(Row(mode, t, lags, docs))
        finally:
            await stop_process(store_process)
            if store_process.returncode not in (0, -signal.SIGTERM):
                log = Path(tmp) / "store.log"
                tail = (await asyncio.to_thread(log.read_text, errors="replace")).splitlines()
                print(
                    f"note: the store child exited with {store_process.returncode} on "
                    f"shutdown: {tail[-1] if tail else ''}",
                    file=sys.stderr,
                )
    report(rows, args, not args.no_detection, time.monotonic() - started)
    report_cpu(cpu, tallies)
    report_saturation_cpu(cpu_samples, tallies)
    return 0


def report_cpu(
    cpu: dict[Mode, tuple[dict[str, float], float]], tallies: dict[Mode, list[Tally]]
) -> None:
    """Where each mode's CPU went (seconds, and milliseconds per message handled)."""
    print()
    print("CPU by process over each whole mode (setup and all phases), 2 cores = 200 %:")
    for mode, (used, wall) in cpu.items():
        handled = sum(t.sent for t in tallies[mode])
        parts = ", ".join(
            f"{name} {secs:.1f} s ({100 * secs / wall:.0f} %, {1000 * secs / handled:.2f} ms/msg)"
            for name, secs in used.items()
            if secs > 0
        )
        print(f"  {mode:<5} {wall:5.1f} s wall, {handled} msgs: {parts}")


def report_saturation_cpu(samples: CpuSamples, tallies: dict[Mode, list[Tally]]) -> None:
    """CPU per message handled while each mode was saturated: which process bounds it."""
    print()
    print("CPU by process during each saturation phase (per message completed in it):")
    for mode, ts in tallies.items():
        for t in ts:
            if t.rate > 0 or not t.reported:
                continue
            window = cpu_between(samples, t.start, t.end)
            done = t.delivered_in_window if mode != "store" else t.acked_in_window
            if window is None or not done:
                print(f"  {mode:<5} (no samples)")
                continue
            secs, used = window
            parts = ", ".join(
                f"{name} {100 * cpu / secs:.0f} % ({1000 * cpu / done:.2f} ms/msg)"
                for name, cpu in used.items()
                if cpu > 0
            )
            print(f"  {mode:<5} {secs:4.1f} s, {done} msgs: {parts}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = load_parser(
        "python -m tests.benchmarks.chat_throughput",
        "Full chat path vs a bare aiohttp relay and the store's insert rate.",
    )
    parser.add_argument(
        "--no-detection",
        action="store_true",
        help="full path with a scanner that returns no findings (labelled in the output)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="cProfile the server during the full mode, write the stats here (figures slower)",
    )
    parser.add_argument("--loadgen", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.customers < 1 or args.agents < 1 or args.window < 1 or args.seconds <= 0:
        parser.error("--customers, --agents, --window and --seconds must be positive")
    return args


async def amain(args: argparse.Namespace) -> int:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    if args.loadgen:
        return await loadgen_main()
    return await bench(args)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return asyncio.run(amain(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
