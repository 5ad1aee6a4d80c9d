"""What the consent path adds to a message's round trip, beside plain messages, in one run.

    .venv/bin/python -m tests.benchmarks.consent_overhead [--customers 10] [--messages 40]
        [--warmup 3] [--profile FILE]

The real app (`create_app`) is served in this process (AppRunner/TCPSite on 127.0.0.1) on
its own embedded store child and a DetectorPool with 1 worker, as in chat_throughput.py
(whose helpers this script imports). The clients run in a child process (this module with
`--client`): `--customers` customer sockets and one agent socket that joined nothing, so it
receives every queue message. Each customer runs closed loop, one message at a time:

    open      one plain message opens the conversation (not measured)
    first     the first sensitive message: makes the customer's data key (one more durable
              insert before the ack) and, after the ack, the consent request
    before    warm-up, then plain and sensitive messages alternated, consent pending
              (each sensitive one attaches to the open request after its ack)
    grant     consent.respond {granted: true} for the request the customer received
    after     warm-up, then plain and sensitive messages alternated, consent on record

Customers start the alternation at different offsets, so at any moment some send plain
and some sensitive messages, and wait for each other (a barrier) between the steps. Both
texts are 70 characters and neither has a capitalised word that wakes the NER model, so
detection costs about the same; the script times detection of both directly on the pool.

Per message: `ack` = send -> message.ack (the goal), `agent` = send -> the agent's
message.new, `done` = send -> the pong to a ping sent right after the message (the server
handles one socket's frames in order, so that is when it finished everything the message
caused: publishing, attaching to the consent request). The next message goes only after
all three, so no message's round trip carries the previous one's after-ack work.
Sensitive kinds are compared with the plain messages of the same step: the embedded store
gets slower as the collection grows, so plain messages before consent are the baseline
for pending ones, plain ones after consent for the kept ones.

After the load, the consent path's own calls are timed directly on the app's services
with nothing else running: encrypting a value (cached data key), the ledger lookup
(`consent_actions.granted_categories`), and a first encryption that makes a data key.
`--profile FILE` runs cProfile in this process (the server) during the measured steps,
writes the stats to FILE and prints the top entries; figures under the profiler are slower
and only good for comparing with each other.

Everything listens on 127.0.0.1 only, every wait is bounded, and the store child, the
client child, the detection pool and the temporary directory are removed on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import logging
import math
import pstats
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import aiohttp
from pymongo import monitoring

from chat_service import keys
from chat_service.actions import consent as consent_actions
from chat_service.app import create_app
from chat_service.auth import Role
from chat_service.scanning import Scanner
from chat_service.services import Services
from chat_service.settings import Secret, Settings
from chat_service.storage.messages import message_id_for
from tests.benchmarks.chat_throughput import (
    CONNECT_TIMEOUT_SECS,
    HOST,
    REPO,
    Json,
    detection,
    fmt,
    lag_between,
    lag_sampler,
    percentile,
    serve,
    start_store,
    stop_process,
)
from tests.helpers.settings import settings_with

# Same length (70 characters), no capitalised word past the sentence opener "My" (so no
# NER pass for either), the same order number; only the card number differs.
PLAIN_TEXT = "My parcel for order 20231104-7781 was due last week and is still late."
SENSITIVE_TEXT = "My card 4111 1111 1111 1111 was charged twice for order 20231104-7781."
CARD = "4111 1111 1111 1111"

GOAL_ADDED_P50_MS = 2.0
WAIT_SECS = 30.0  # one exchange (ack, agent delivery, pong)
DETECTION_SAMPLES = 40  # per text, alternating
COMPONENT_SAMPLES = 50
KEY_CREATION_SAMPLES = 5
BOOTSTRAP_ROUNDS = 2000

Kind = Literal["open", "first", "plain-before", "pending", "grant", "plain-after", "kept"]
MEASURED: tuple[Kind, ...] = ("plain-before", "pending", "plain-after", "kept", "first")
LABELS: dict[Kind, str] = {
    "plain-before": "plain, before consent",
    "pending": "sensitive, consent pending",
    "plain-after": "plain, after consent",
    "kept": "sensitive, consent on record",
    "first": "first sensitive per customer",
}
# Each sensitive kind against the plain messages of the same step.
BASELINE: dict[Kind, Kind] = {"pending": "plain-before", "kept": "plain-after"}

logger = logging.getLogger("consent_overhead")


@dataclass(slots=True)
class Sample:
    customer: int
    kind: Kind
    ack_ms: float
    agent_ms: float  # NaN when no agent copy is expected (the grant)
    done_ms: float
    measured: bool = True


@dataclass(slots=True)
class ClientResult:
    samples: list[Sample] = field(default_factory=list)
    start: float = 0.0  # time.monotonic() (CLOCK_MONOTONIC: the same in every process)
    end: float = 0.0

    @classmethod
    def from_json(cls, raw: Json) -> ClientResult:
        samples = [Sample(**s) for s in raw["samples"]]
        return cls(samples, raw["start"], raw["end"])


# --------------------------------------------------------------------------- clients


class Waiters:
    """Futures keyed by what they wait for ("ack:<client_id>", "pong:<i>", ...)."""

    def __init__(self) -> None:
        self._futures: dict[str, asyncio.Future[tuple[float, Json]]] = {}

    def expect(self, key: str) -> asyncio.Future[tuple[float, Json]]:
        future: asyncio.Future[tuple[float, Json]] = asyncio.get_running_loop().create_future()
        self._futures[key] = future
        return future

    def resolve(self, key: str, now: float, frame: Json) -> None:
        future = self._futures.pop(key, None)
        if future is not None and not future.done():
            future.set_result((now, frame))

    def fail(self, key: str, frame: Json) -> bool:
        future = self._futures.pop(key, None)
        if future is None or future.done():
            return False
        future.set_exception(RuntimeError(f"server error: {frame}"))
        return True


class Clients:
    """The customers and the agent, in the client child process."""

    def __init__(self, spec: Json) -> None:
        self.customer_urls: list[str] = spec["customer_urls"]
        self.subs: list[str] = spec["customer_subs"]
        self.agent_url: str = spec["agent_url"]
        self.per_kind: int = spec["per_kind"]
        self.warmup: int = spec["warmup"]
        self.run_id = secrets.token_hex(4)
        n = len(self.customer_urls)
        self.waiters = Waiters()
        self.conversations: list[str | None] = [None] * n
        self.requests: list[asyncio.Future[tuple[float, Json]] | None] = [None] * n
        self.counters = [0] * n
        self.barrier = asyncio.Barrier(n)
        self.result = ClientResult()
        self.errors: list[Json] = []

    async def run(self) -> ClientResult:
        timeout = aiohttp.ClientTimeout(total=None, connect=CONNECT_TIMEOUT_SECS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            agent = await self._connect(session, self.agent_url)
            customers = [await self._connect(session, url) for url in self.customer_urls]
            readers = [asyncio.create_task(self._read(-1, agent))]
            readers += [asyncio.create_task(self._read(i, ws)) for i, ws in enumerate(customers)]
            try:
                await asyncio.gather(*(self._customer(i, ws) for i, ws in enumerate(customers)))
            finally:
                for task in readers:
                    task.cancel()
                await asyncio.gather(*readers, return_exceptions=True)
                for ws in [agent, *customers]:
                    with contextlib.suppress(Exception):
                        await ws.close()
        return self.result

    async def _connect(
        self, session: aiohttp.ClientSession, url: str
    ) -> aiohttp.ClientWebSocketResponse:
        ws = await session.ws_connect(url, autoping=True, max_msg_size=1024 * 1024)
        hello: Json = json.loads(await ws.receive_str(timeout=CONNECT_TIMEOUT_SECS))
        if hello.get("type") != "hello":
            raise RuntimeError(f"expected hello, got {hello}")
        return ws

    async def _read(self, i: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Customer i's frames, or the agent's (i == -1)."""
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            now = time.monotonic()
            frame: Json = json.loads(msg.data)
            kind = frame.get("type")
            if i < 0:
                if kind == "message.new":
                    # Agents never see a customer's client_id: matched by the message id.
                    self.waiters.resolve(f"new:{frame['message']['id']}", now, frame)
                elif kind == "error":
                    self._error(frame)
            elif kind == "message.ack":
                self.waiters.resolve(f"ack:{frame['client_id']}", now, frame)
            elif kind == "pong":
                self.waiters.resolve(f"pong:{i}", now, frame)
            elif kind == "consent.request":
                self.waiters.resolve(f"request:{i}", now, frame)
            elif kind == "consent.recorded":
                self.waiters.resolve(f"recorded:{frame['request_id']}", now, frame)
            elif kind == "error":
                self._error(frame)
                ref = str(frame.get("ref"))
                if not self.waiters.fail(f"ack:{ref}", frame):
                    self.waiters.fail(f"recorded:{ref}", frame)

    def _error(self, frame: Json) -> None:
        if len(self.errors) < 5:
            self.errors.append(frame)
            print(f"server error frame: {frame}", file=sys.stderr)

    async def _exchange(
        self,
        i: int,
        ws: aiohttp.ClientWebSocketResponse,
        kind: Kind,
        frame: Json,
        expect: list[str],
        *,
        measured: bool = True,
    ) -> Json:
        """Send `frame` and a ping; wait for `expect` and the pong. Records a sample."""
        futures = [self.waiters.expect(key) for key in expect]
        pong = self.waiters.expect(f"pong:{i}")
        sent = time.monotonic()
        await ws.send_str(json.dumps(frame))
        await ws.send_str('{"type": "ping"}')
        async with asyncio.timeout(WAIT_SECS):
            answers = await asyncio.gather(*futures)
            done_at, _ = await pong
        first_at, first = answers[0]
        agent_ms = math.nan
        if len(answers) > 1:
            agent_ms = (answers[1][0] - sent) * 1000.0
        self.result.samples.append(
            Sample(
                i,
                kind,
                round((first_at - sent) * 1000.0, 3),
                round(agent_ms, 3),
                round((done_at - sent) * 1000.0, 3),
                measured,
            )
        )
        return first

    async def _send(
        self, i: int, ws: aiohttp.ClientWebSocketResponse, kind: Kind, *, measured: bool = True
    ) -> Json:
        self.counters[i] += 1
        client_id = f"{self.run_id}-{i}-{self.counters[i]}"
        sensitive = kind in ("first", "pending", "kept")
        frame: Json = {
            "type": "message.send",
            "client_id": client_id,
            "kind": "text",
            "text": SENSITIVE_TEXT if sensitive else PLAIN_TEXT,
        }
        if self.conversations[i] is not None:
            frame["conversation_id"] = self.conversations[i]
        message_id = message_id_for("customer", self.subs[i], client_id)  # as the server does
        return await self._exchange(
            i, ws, kind, frame, [f"ack:{client_id}", f"new:{message_id}"], measured=measured
        )

    async def _alternate(
        self,
        i: int,
        ws: aiohttp.ClientWebSocketResponse,
        plain: Kind,
        sensitive: Kind,
        count: int,
        *,
        measured: bool,
    ) -> None:
        """`count` of each kind, alternated; customer i starts with plain if i is even."""
        for k in range(2 * count):
            kind = plain if (k + i) % 2 == 0 else sensitive
            await self._send(i, ws, kind, measured=measured)

    async def _customer(self, i: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            await self._steps(i, ws)
        except BaseException:
            await self.barrier.abort()  # the others stop at their next barrier instead of waiting
            raise

    async def _steps(self, i: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        ack = await self._send(i, ws, "open", measured=False)
        self.conversations[i] = ack["conversation_id"]
        await self.barrier.wait()

        if i == 0:
            self.result.start = time.monotonic()
        request = self.waiters.expect(f"request:{i}")
        await self._send(i, ws, "first")
        async with asyncio.timeout(WAIT_SECS):
            _, consent_request = await request
        await self.barrier.wait()

        await self._alternate(i, ws, "plain-before", "pending", self.warmup, measured=False)
        await self._alternate(i, ws, "plain-before", "pending", self.per_kind, measured=True)
        await self.barrier.wait()

        request_id = consent_request["request_id"]
        respond = {"type": "consent.respond", "request_id": request_id, "granted": True}
        await self._exchange(i, ws, "grant", respond, [f"recorded:{request_id}"])
        await self.barrier.wait()

        await self._alternate(i, ws, "plain-after", "kept", self.warmup, measured=False)
        await self._alternate(i, ws, "plain-after", "kept", self.per_kind, measured=True)
        await self.barrier.wait()
        if i == 0:
            self.result.end = time.monotonic()


async def client_main() -> int:
    spec: Json = json.loads(await asyncio.to_thread(sys.stdin.read))
    result = await Clients(spec).run()
    sys.stdout.write(json.dumps(asdict(result)) + "\n")
    sys.stdout.flush()
    return 0


async def run_clients(
    customer_urls: list[str], customer_subs: list[str], agent_url: str, args: argparse.Namespace
) -> ClientResult:
    spec = {
        "customer_urls": customer_urls,
        "customer_subs": customer_subs,
        "agent_url": agent_url,
        "per_kind": args.messages // 4,
        "warmup": args.warmup,
    }
    exchanges = 3 + 2 * (2 * args.warmup + args.messages // 2)
    budget = 60.0 + exchanges * WAIT_SECS / 3
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.benchmarks.consent_overhead",
        "--client",
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
        raise RuntimeError(f"the client process failed with exit code {process.returncode}")
    return ClientResult.from_json(json.loads(out))


# --------------------------------------------------------------------------- direct timings


async def time_calls(call: Callable[[], Awaitable[object]], count: int) -> list[float]:
    """Milliseconds per awaited call, one at a time."""
    times: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000.0)
    return times


async def time_detection(scanner: Scanner) -> dict[str, list[float]]:
    """Both texts on the pool, alternated, nothing else running."""
    times: dict[str, list[float]] = {"plain": [], "sensitive": []}
    for _ in range(DETECTION_SAMPLES):
        for name, text in (("plain", PLAIN_TEXT), ("sensitive", SENSITIVE_TEXT)):
            started = time.perf_counter()
            findings = await scanner.scan(text, None)
            times[name].append((time.perf_counter() - started) * 1000.0)
            if (name == "sensitive") != any(f.get("sensitive") for f in findings):
                raise RuntimeError(f"unexpected findings for the {name} text: {findings}")
    return times


async def time_components(services: Services, customers: int) -> dict[str, list[float]]:
    """The consent path's own calls before the ack, on the app's services, idle."""
    granted_customer = "cust-0"  # granted during the run: one ledger entry
    fresh = "bench-no-ledger-" + secrets.token_hex(4)
    times: dict[str, list[float]] = {}
    times["reference: messages.get (find by _id)"] = await time_calls(
        lambda: services.store.messages.get("m_" + "0" * 32), COMPONENT_SAMPLES
    )
    times["encrypt (cached data key)"] = await time_calls(
        lambda: services.cipher.encrypt(granted_customer, CARD), COMPONENT_SAMPLES
    )
    times["ledger lookup, 1 grant on record"] = await time_calls(
        lambda: consent_actions.granted_categories(services, granted_customer, minor=False),
        COMPONENT_SAMPLES,
    )
    times["ledger lookup, no entries"] = await time_calls(
        lambda: consent_actions.granted_categories(services, fresh, minor=False),
        COMPONENT_SAMPLES,
    )
    new_keys = iter(f"bench-new-key-{secrets.token_hex(4)}-{n}" for n in range(customers + 99))
    times["first encrypt, makes a data key"] = await time_calls(
        lambda: services.cipher.encrypt(next(new_keys), CARD), KEY_CREATION_SAMPLES
    )
    return times


# --------------------------------------------------------------------------- store calls


class StoreCalls(monitoring.CommandListener):
    """Every store command this process sends: (finished at, "command collection", ms).

    The duration is the driver's: send -> reply, so it includes waiting in the store child
    behind other commands, which is what a message waits for.
    """

    def __init__(self) -> None:
        self.names: dict[tuple[object, int], str] = {}
        self.calls: list[tuple[float, str, float]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        where = target if isinstance(target, str) else ""
        self.names[(event.connection_id, event.request_id)] = f"{event.command_name} {where}"

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        name = self.names.pop((event.connection_id, event.request_id), event.command_name)
        self.calls.append((time.monotonic(), name, event.duration_micros / 1000.0))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.names.pop((event.connection_id, event.request_id), None)


# --------------------------------------------------------------------------- server


@dataclass(slots=True)
class Run:
    client: ClientResult
    lag_ms: list[float]
    detection_ms: dict[str, list[float]]
    components_ms: dict[str, list[float]]
    store_calls: list[tuple[str, list[float]]]  # during the measured steps
    profile: str | None


def make_settings(data_dir: Path) -> Settings:
    secret = secrets.token_urlsafe(48)
    base = Settings.load(REPO / "config", data_dir, {"CHAT_SERVICE_SECRET": secret})
    base = base.with_overrides(secret=Secret(secret))
    return settings_with(
        base,
        store={"database": "bench_consent_" + secrets.token_hex(4)},
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


@contextlib.contextmanager
def profiled(path: Path | None) -> Iterator[None]:
    """cProfile this process while the block runs, if asked."""
    if path is None:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(path)


def profile_summary(path: Path) -> str:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(r"chat_service|pymongo|mongoeco", 30)
    return out.getvalue()


async def bench_server(uri: str, scanner: Scanner, data_dir: Path, args: argparse.Namespace) -> Run:
    store_calls = StoreCalls()
    monitoring.register(store_calls)  # before create_app makes the server's client
    app = create_app(make_settings(data_dir), store_uri=uri, scanner=scanner)
    tokens = app[keys.TOKENS]
    async with serve(app) as port, lag_sampler() as lag:
        services = app[keys.SERVICES]
        # Warm the crypto (libmongocrypt, the key vault) and the ledger before anyone sends.
        await services.cipher.encrypt("bench-warmup", CARD)
        await consent_actions.granted_categories(services, "bench-warmup", minor=False)
        detection_ms = await time_detection(scanner)
        base_url = f"ws://{HOST}:{port}/ws?token="
        subs = [f"cust-{i}" for i in range(args.customers)]
        customers = [base_url + tokens.issue(Role.CUSTOMER, sub) for sub in subs]
        agent = base_url + tokens.issue(Role.AGENT, "agent-0")
        with profiled(args.profile):
            client = await run_clients(customers, subs, agent, args)
        more = await time_detection(scanner)
        for name, values in more.items():
            detection_ms[name].extend(values)
        components_ms = await time_components(services, args.customers)
        lags = lag_between(lag, client.start, client.end)
    grouped: dict[str, list[float]] = {}
    for when, name, ms in store_calls.calls:
        if client.start <= when <= client.end:
            grouped.setdefault(name, []).append(ms)
    calls = sorted(grouped.items(), key=lambda item: -sum(item[1]))
    summary = profile_summary(args.profile) if args.profile is not None else None
    return Run(client, lags, detection_ms, components_ms, calls, summary)


# --------------------------------------------------------------------------- report


def p50_diff_ci(values: list[float], base: list[float]) -> tuple[float, float]:
    """95 % bootstrap interval of p50(values) - p50(base) (fixed seed)."""
    rng = random.Random(20231104)  # resampling, not security
    diffs = sorted(
        percentile(rng.choices(values, k=len(values)), 50)
        - percentile(rng.choices(base, k=len(base)), 50)
        for _ in range(BOOTSTRAP_ROUNDS)
    )
    return diffs[int(0.025 * len(diffs))], diffs[int(0.975 * len(diffs)) - 1]


def stats_cells(values: list[float]) -> str:
    mean = statistics.fmean(values) if values else math.nan
    return (
        f"{fmt(percentile(values, 50), 2):>8}{fmt(percentile(values, 99), 2):>8}{fmt(mean, 2):>8}"
    )


def report(run: Run, args: argparse.Namespace, wall: float) -> bool:
    samples = [s for s in run.client.samples if s.measured]
    by_kind: dict[Kind, list[Sample]] = {k: [s for s in samples if s.kind == k] for k in MEASURED}
    grants = [s for s in samples if s.kind == "grant"]

    def ack(kind: Kind) -> list[float]:
        return [s.ack_ms for s in by_kind[kind]]

    def agent(kind: Kind) -> list[float]:
        return [s.agent_ms for s in by_kind[kind]]

    def done(kind: Kind) -> list[float]:
        return [s.done_ms for s in by_kind[kind]]

    print()
    print(
        f"consent overhead - {args.customers} customers, {args.messages // 4} measured "
        f"messages per kind per customer (+{args.warmup} warm-up), 1 agent on the queue, "
        "full path with detection (DetectorPool, 1 worker)"
    )
    print(f"  plain text     {PLAIN_TEXT!r} ({len(PLAIN_TEXT)} chars)")
    print(f"  sensitive text {SENSITIVE_TEXT!r} ({len(SENSITIVE_TEXT)} chars)")
    header = (
        f"{'kind':<30}{'n':>5}   {'ack p50':>8}{'p99':>8}{'mean':>8}   "
        f"{'agent p50':>9}{'p99':>8}{'mean':>8}   {'done p50':>8}"
    )
    print(header)
    print("-" * len(header))
    for kind in MEASURED:
        print(
            f"{LABELS[kind]:<30}{len(by_kind[kind]):>5}   {stats_cells(ack(kind))}   "
            f" {stats_cells(agent(kind))}   {fmt(percentile(done(kind), 50), 2):>8}"
        )
    print(
        "ms. ack: send -> message.ack (the goal). agent: send -> the agent's message.new. "
        "done: send -> pong to a ping sent right after (the server finished the message, "
        "after-ack work included)."
    )
    grant_ms = [s.ack_ms for s in grants]
    print(
        f"consent.respond -> consent.recorded: p50 {fmt(percentile(grant_ms, 50), 1)} ms, "
        f"max {fmt(max(grant_ms, default=math.nan), 1)} ms "
        f"({1 + args.warmup + args.messages // 4} pending messages per request)"
    )

    print()
    print("detection on the pool, measured directly (idle, before and after the load):")
    det: dict[str, float] = {}
    for name, values in run.detection_ms.items():
        det[name] = percentile(values, 50)
        print(
            f"  {name:<10} p50 {det[name]:6.2f}  p99 {percentile(values, 99):6.2f}  "
            f"mean {statistics.fmean(values):6.2f} ms  (n {len(values)})"
        )
    detection_diff = det["sensitive"] - det["plain"]
    print(f"  sensitive - plain p50: {detection_diff:+.2f} ms")
    print("the consent path's own calls, measured directly on the app's services (idle):")
    for name, values in run.components_ms.items():
        print(
            f"  {name:<34} p50 {percentile(values, 50):6.2f}  "
            f"mean {statistics.fmean(values):6.2f} ms  (n {len(values)})"
        )
    sent = sum(1 for s in run.client.samples if s.kind not in ("grant", "open"))
    print(
        f"store commands the server sent during the measured steps ({sent} messages and "
        f"{len(grants)} grants; ms = send -> reply, waiting in the store included):"
    )
    for name, values in run.store_calls[:12]:
        print(
            f"  {name:<34} n {len(values):>5}  p50 {percentile(values, 50):7.2f}  "
            f"mean {statistics.fmean(values):7.2f}  total {sum(values) / 1000.0:6.1f} s"
        )
    print(
        f"server event loop during the run: lag p99 {fmt(percentile(run.lag_ms, 99), 1)} ms, "
        f"max {fmt(max(run.lag_ms, default=math.nan), 1)} ms"
    )

    print()
    print(f"goal: the consent path adds < {GOAL_ADDED_P50_MS:g} ms p50 to send -> message.ack")
    ok = True
    for kind, base in BASELINE.items():
        added = percentile(ack(kind), 50) - percentile(ack(base), 50)
        low, high = p50_diff_ci(ack(kind), ack(base))
        passed = added < GOAL_ADDED_P50_MS
        ok = ok and passed
        agent_added = percentile(agent(kind), 50) - percentile(agent(base), 50)
        done_added = percentile(done(kind), 50) - percentile(done(base), 50)
        print(
            f"  {LABELS[kind]:<30} vs {LABELS[base]:<22} ack p50 {added:+6.2f} ms "
            f"(95% CI {low:+.2f}..{high:+.2f}; detection {detection_diff:+.2f} of it): "
            f"{'PASS' if passed else 'FAIL'}"
        )
        print(
            f"  {'':<30}    {'':<22} agent p50 {agent_added:+6.2f} ms, "
            f"done p50 {done_added:+6.2f} ms"
        )
    first = percentile(ack("first"), 50) - percentile(ack("plain-before"), 50)
    print(
        f"  {LABELS['first']:<30} vs {LABELS['plain-before']:<22} ack p50 {first:+6.2f} ms "
        "(makes the data key; not part of the goal)"
    )
    print(f"overall: {'PASS' if ok else 'FAIL'}; wall time {wall:.0f} s")
    if args.profile is not None:
        print()
        print(f"(figures above ran under cProfile; stats in {args.profile})")
        print(run.profile)
    return ok


# --------------------------------------------------------------------------- main


async def bench(args: argparse.Namespace) -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="consent-bench-") as tmp:
        store_process, uri = await start_store(Path(tmp) / "store.sqlite")
        try:
            print(f"[{time.monotonic() - started:5.1f} s] detection pool", file=sys.stderr)
            async with detection(True) as scanner:
                print(f"[{time.monotonic() - started:5.1f} s] full path", file=sys.stderr)
                run = await bench_server(uri, scanner, Path(tmp) / "data", args)
        finally:
            await stop_process(store_process)
            if store_process.returncode not in (0, -signal.SIGTERM):
                print(
                    f"note: the store child exited with {store_process.returncode}",
                    file=sys.stderr,
                )
    report(run, args, time.monotonic() - started)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.consent_overhead",
        description="Round trip of messages needing consent vs plain ones, full path.",
    )
    parser.add_argument("--customers", type=int, default=10, help="customer sockets (10)")
    parser.add_argument(
        "--messages",
        type=int,
        default=40,
        help="measured messages per customer, a quarter per kind (40)",
    )
    parser.add_argument("--warmup", type=int, default=3, help="warm-up messages per kind (3)")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the server")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.customers < 1 or args.messages < 4 or args.warmup < 0:
        parser.error("--customers must be >= 1, --messages >= 4, --warmup >= 0")
    return args


async def amain(args: argparse.Namespace) -> int:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    if args.client:
        return await client_main()
    return await bench(args)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return asyncio.run(amain(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
