"""Hostile connections against `chat-service serve` (issue 16, items 1, 2 and 7): what
they cost the server and an innocent customer, against the same server before them.

    .venv/bin/python -m tests.benchmarks.abuse [--sockets 40] [--fetches 8] \
        [--messages 200] [--text ascii|emoji] [--idle 2000] [--addresses 20] \
        [--flood-sockets 15] [--flood-secs 10] [--phases never-reading,idle,flood] \
        [--nofile 1024] [--server-tree DIR]

The server is `chat-service serve` in a child process (its own embedded store and one
detection worker, a temporary data directory, a free loopback port) whose open-file limit
is set to `--nofile` (soft and hard) before it starts, as under `ulimit -n 1024`. Its
configuration is the repository's with `[connections] max_sockets_per_customer` raised
above `--sockets` (otherwise that cap, not the release of never-reading sockets, would
be measured). `--server-tree DIR` runs the server from another checkout (e.g. the code
before the change, `git archive <commit> | tar -x -C DIR`) with this script's clients.

Phases, each against the figures of the idle server measured first in the same run:

1. never-reading sockets: one customer writes `--messages` messages of 8,000 characters
   (ASCII or emoji), then opens `--sockets` WebSockets with that customer's token and a
   4 KB receive buffer, sends `--fetches` `history.fetch` on each and never reads. The
   server's RSS, ESTABLISHED connections and their kernel send queues (/proc/net/tcp) are
   sampled every 0.2 s until 4 s after the server has let all of them go (90 s at most);
   printed: peak RSS, RSS 2 s after the last was released, when that was, and when RSS
   came back within 20 MB of the baseline.
2. idle connections: `--idle` TCP connections that send nothing, from `--addresses`
   loopback addresses (127.0.0.2 ...; per-IP caps are per address), held 10 s.
3. flood: one customer (a token of its own) with `--flood-sockets` WebSockets, each
   sending a message as soon as the previous one was answered (ack or error; a socket
   closed for flooding reconnects at once), for `--flood-secs`. Printed besides the
   innocent customer's figures: the flooder's acks and rejected frames a second, its
   sockets closed by the server, and the server's RSS.

`--phases` picks which of them run (the long conversation is written only for phase 1).

During each phase, and for the baseline: `/healthz` latency (a new connection each time,
from 127.0.0.1, 5 s bound: slower counts as failed), an innocent customer's message p99
(send -> `message.ack` on a socket opened before the phase, one every 0.2 s), the server's
open descriptors and RSS, and the bytes it logged. Everything binds 127.0.0.1/8 and stops
by itself; about 2-4 minutes on 2 cores, most of it writing the long conversation.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import resource
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from chat_service.auth import Role, TokenService
from chat_service.settings import DEV_SECRET, Secret, Settings
from tests.benchmarks.chat_throughput import percentile, stop_process
from tests.helpers.raw import RawConnection, open_raw_ws, text_frame
from tests.helpers.server import start_serve

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT_SECS = 240.0
HEALTHZ_BOUND_SECS = 5.0
ACK_BOUND_SECS = 10.0
RESIDUAL_GOAL_BYTES = 20 * 1024 * 1024
RELEASE_BOUND_SECS = 90.0
FLOOD_SETTLE_SECS = 3.0
RATE_LIMITED_WAIT_SECS = 1.1  # past the server's pause after a refusal (1 s)
TEXTS = {"ascii": "a" * 7990, "emoji": "\U0001f600" * 7990}


@dataclass
class Sample:
    """What one phase cost: figures taken while the abuse was held."""

    healthz_ms: list[float] = field(default_factory=list)
    healthz_failed: int = 0
    ack_ms: list[float] = field(default_factory=list)
    ack_sent: list[float] = field(default_factory=list)  # time.monotonic() of each send
    ack_failed: int = 0
    rss_bytes: int = 0
    fds: int = 0
    log_bytes: int = 0

    def row(self, name: str, base: Sample | None) -> str:
        def ms(values: list[float], q: float) -> str:
            value = percentile(values, q)
            return "-" if math.isnan(value) else f"{value:.1f}"

        rss = self.rss_bytes / 2**20
        extra = "" if base is None else f" ({(self.rss_bytes - base.rss_bytes) / 2**20:+.1f})"
        return (
            f"{name:<22} healthz p50/max {ms(self.healthz_ms, 50)}/{ms(self.healthz_ms, 100)} ms"
            f" failed {self.healthz_failed:<4} innocent ack p50/p90/p99 {ms(self.ack_ms, 50)}/"
            f"{ms(self.ack_ms, 90)}/{ms(self.ack_ms, 99)} ms (n {len(self.ack_ms)}) failed "
            f"{self.ack_failed:<3} RSS {rss:.1f} MB{extra}"
            f" fds {self.fds} log {self.log_bytes} B"
        )


class Server:
    """`chat-service serve` in a child process under an open-file limit."""

    def __init__(self, process: asyncio.subprocess.Process, url: str, log: bytearray) -> None:
        self.process = process
        self.url = url
        self.port = int(url.rsplit(":", 1)[1])
        self.log = log

    def rss(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def established(self) -> tuple[int, int]:
        """The server's ESTABLISHED client connections and their kernel send queues."""
        count = queued = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(OSError):
                for line in Path(table).read_text().splitlines()[1:]:
                    parts = line.split()
                    local_port = int(parts[1].rsplit(":", 1)[1], 16)
                    if local_port == self.port and parts[3] == "01":
                        count += 1
                        queued += int(parts[4].split(":")[0], 16)
        return count, queued


@contextlib.asynccontextmanager
async def serve(args: argparse.Namespace, data: Path) -> AsyncIterator[Server]:
    tree = args.server_tree or REPO
    config = data / "config"
    shutil.copytree(tree / "config", config)
    path = config / "server.toml"
    text = path.read_text()
    cap = max(args.sockets, args.flood_sockets) + 8
    for key, value in {"workers": "1", "max_sockets_per_customer": str(cap)}.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    path.write_text(text)
    process = await start_serve(data / "var", config=config, nofile=args.nofile, tree=tree)
    assert process.stdout is not None and process.stderr is not None
    log = bytearray()
    drain = asyncio.create_task(_collect(process.stderr, log))
    try:
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_SECS)
        if not line.startswith(b"chat-service serving on "):
            raise RuntimeError("server did not start: " + log.decode()[-3000:])
        yield Server(process, line.decode().split(" on ", 1)[1].strip(), log)
    finally:
        await stop_process(process)
        drain.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await drain


async def _collect(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into += chunk


class Customer:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.conversation_id: str | None = None

    async def send(self, text: str) -> float:
        """send -> message.ack in ms (raises TimeoutError past the bound)."""
        client_id = uuid.uuid4().hex
        frame: dict[str, Any] = {
            "type": "message.send",
            "client_id": client_id,
            "kind": "text",
            "text": text,
        }
        if self.conversation_id:
            frame["conversation_id"] = self.conversation_id
        started = time.perf_counter()
        await self.ws.send_str(json.dumps(frame, ensure_ascii=False))
        async with asyncio.timeout(ACK_BOUND_SECS):
            while True:
                got = json.loads((await self.ws.receive()).data)
                if got.get("type") == "message.ack" and got.get("client_id") == client_id:
                    self.conversation_id = got["conversation_id"]
                    return (time.perf_counter() - started) * 1000
                if got.get("type") == "error" and got.get("ref") == client_id:
                    raise RuntimeError(got)


async def send_paced(customer: Customer, text: str) -> None:
    """Send, waiting out the customer's message limit (`[limits] messages_per_sec`) when
    told `rate_limited`: the set-up writes faster than one customer may."""
    while True:
        try:
            await customer.send(text)
            return
        except RuntimeError as refused:
            if "rate_limited" not in str(refused):
                raise
            await asyncio.sleep(RATE_LIMITED_WAIT_SECS)


async def open_customer(session: aiohttp.ClientSession, server: Server, token: str) -> Customer:
    ws = await session.ws_connect(server.url + f"/ws?token={token}", max_msg_size=0)
    hello = json.loads((await ws.receive()).data)
    assert hello["type"] == "hello", hello
    return Customer(ws)


async def measure(server: Server, innocent: Customer, seconds: float, log_from: int) -> Sample:
    """healthz from new connections and the innocent customer's messages, side by side."""
    sample = Sample()
    stop = time.monotonic() + seconds

    async def healthz() -> None:
        timeout = aiohttp.ClientTimeout(total=HEALTHZ_BOUND_SECS)
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                connector = aiohttp.TCPConnector(force_close=True)
                async with (
                    aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
                    session.get(server.url + "/healthz") as response,
                ):
                    await response.read()
                    ok = response.status == 200
            except (aiohttp.ClientError, TimeoutError, OSError):
                ok = False
            if ok:
                sample.healthz_ms.append((time.perf_counter() - started) * 1000)
            else:
                sample.healthz_failed += 1
            await asyncio.sleep(0.2)

    async def chat() -> None:
        n = 0
        while time.monotonic() < stop:
            n += 1
            try:
                sent = time.monotonic()
                sample.ack_ms.append(await innocent.send(f"innocent question {n} about my order"))
                sample.ack_sent.append(sent)
            except (TimeoutError, RuntimeError, aiohttp.ClientError):
                sample.ack_failed += 1
            await asyncio.sleep(0.2)

    await asyncio.gather(healthz(), chat())
    sample.rss_bytes = server.rss()
    sample.fds = server.fds()
    sample.log_bytes = len(server.log) - log_from
    return sample


async def never_readers(
    args: argparse.Namespace, server: Server, innocent: Customer, token: str, conversation: str
) -> tuple[Sample, list[str]]:
    before = server.rss()
    base_established, _ = server.established()
    log_from = len(server.log)
    sockets: list[RawConnection] = []
    fetch = text_frame(
        json.dumps({"type": "history.fetch", "conversation_id": conversation, "after_seq": 0})
    )
    for _ in range(args.sockets):
        conn = await open_raw_ws(HOST, server.port, token, rcvbuf=4096, reading=False)
        sockets.append(conn)
    for conn in sockets:
        for _ in range(args.fetches):
            conn.writer.write(fetch)
    sent_at = time.monotonic()
    # (seconds after the fetches, RSS, server's ESTABLISHED connections, their send queues)
    samples: list[tuple[float, int, int, int]] = []

    async def sampler() -> None:
        released: float | None = None
        while (now := time.monotonic() - sent_at) < RELEASE_BOUND_SECS:
            established, queued = server.established()
            samples.append((now, server.rss(), established, queued))
            if released is None and established <= base_established:
                released = now
            if released is not None and now > released + 4.0:
                return
            await asyncio.sleep(0.2)

    sampling = asyncio.create_task(sampler())
    sample = await measure(server, innocent, args.send_timeout + 2.0, log_from)
    await sampling
    for conn in sockets:
        conn.close()
    peak = max(rss for _, rss, _, _ in samples)
    peak_queued = max(queued for *_, queued in samples)
    released = next((t for t, _, est, _ in samples if est <= base_established), math.nan)
    later = [rss for t, rss, _, _ in samples if t >= released + 2.0]
    at_release_2 = later[0] if later else samples[-1][1]
    back = next(
        (t for t, rss, _, _ in samples if t > 1.0 and rss - before < RESIDUAL_GOAL_BYTES),
        math.nan,
    )

    def mb(value: int) -> str:
        return f"{value / 2**20:.1f} MB ({(value - before) / 2**20:+.1f})"

    lines = [
        f"RSS before {before / 2**20:.1f} MB, peak {mb(peak)}, 2 s after the last was "
        f"released {mb(at_release_2)}, at the end {mb(samples[-1][1])}",
        f"all {args.sockets} released (server ESTABLISHED back to {base_established}) at "
        f"{released:.1f} s after the fetches were sent (send timeout {args.send_timeout:.0f} s "
        f"from a blocked write); RSS within +20 MB of before at {back:.1f} s",
        f"kernel send queues of the server's connections at most {peak_queued / 2**20:.2f} MB",
    ]
    return sample, lines


async def idle_flood(
    args: argparse.Namespace, server: Server, innocent: Customer
) -> tuple[Sample, list[str]]:
    log_from = len(server.log)
    loop = asyncio.get_running_loop()

    async def one(i: int) -> socket.socket | None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.bind((f"127.0.0.{2 + i % args.addresses}", 0))
            async with asyncio.timeout(5):
                await loop.sock_connect(sock, (HOST, server.port))
        except (OSError, TimeoutError):
            sock.close()
            return None
        return sock

    opened: list[socket.socket | None] = []
    for start in range(0, args.idle, 200):
        opened += await asyncio.gather(*(one(i) for i in range(start, min(start + 200, args.idle))))
    held = [s for s in opened if s is not None]
    sample = await measure(server, innocent, 10.0, log_from)
    alive = sum(1 for s in held if _still_open(s))
    established, _ = server.established()
    for sock in held:
        sock.close()
    return sample, [
        f"{len(held)} of {args.idle} connected (kernel accepted), {alive} still open after "
        f"10 s, server ESTABLISHED {established}",
    ]


def _still_open(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


@dataclass
class FloodCount:
    acks: int = 0
    rejected: int = 0
    other_errors: int = 0
    closed: int = 0


async def flood(
    args: argparse.Namespace, server: Server, innocent: Customer, token: str
) -> tuple[Sample, list[str]]:
    """`--flood-sockets` sockets of one customer, each sending as fast as it is answered."""
    count = FloodCount()
    log_from = len(server.log)
    rss_from = server.rss()
    stop = asyncio.Event()
    async with aiohttp.ClientSession() as session:
        first = await open_customer(session, server, token)
        await first.send("flood opens its conversation")
        conversation = first.conversation_id
        await first.ws.close()

        async def one_socket(n: int) -> None:
            ws: aiohttp.ClientWebSocketResponse | None = None
            i = 0
            while not stop.is_set():
                if ws is None or ws.closed:
                    try:
                        ws = (await open_customer(session, server, token)).ws
                    except (aiohttp.ClientError, AssertionError, OSError):
                        await asyncio.sleep(0.05)
                        continue
                i += 1
                client_id = f"flood-{n}-{i}-{uuid.uuid4().hex[:8]}"
                frame = {
                    "type": "message.send",
                    "client_id": client_id,
                    "kind": "text",
                    "text": f"flood {n} {i} where is my parcel",
                    "conversation_id": conversation,
                }
                try:
                    await ws.send_str(json.dumps(frame))
                    while True:
                        msg = await ws.receive(timeout=ACK_BOUND_SECS)
                        if msg.type is not aiohttp.WSMsgType.TEXT:
                            count.closed += 1
                            break
                        got = json.loads(msg.data)
                        if got.get("type") == "message.ack" and got.get("client_id") == client_id:
                            count.acks += 1
                            break
                        if got.get("type") == "error":
                            if got.get("code") == "rate_limited":
                                count.rejected += 1
                            else:
                                count.other_errors += 1
                            if got.get("ref") in (client_id, None):
                                break
                except (aiohttp.ClientError, TimeoutError, ConnectionError):
                    count.closed += 1
                    ws = None
            if ws is not None:
                await ws.close()

        started = time.monotonic()
        flooders = [asyncio.create_task(one_socket(n)) for n in range(args.flood_sockets)]
        try:
            sample = await measure(server, innocent, args.flood_secs, log_from)
        finally:
            stop.set()
            await asyncio.gather(*flooders, return_exceptions=True)
    secs = args.flood_secs
    settled = [
        ms
        for ms, sent in zip(sample.ack_ms, sample.ack_sent, strict=True)
        if sent >= started + FLOOD_SETTLE_SECS
    ]
    return sample, [
        f"innocent ack from {FLOOD_SETTLE_SECS:.0f} s into the flood (its sockets open, its "
        f"burst spent): p50/p90/p99 {percentile(settled, 50):.1f}/{percentile(settled, 90):.1f}/"
        f"{percentile(settled, 99):.1f} ms (n {len(settled)})",
        f"flooder: {count.acks / secs:.1f} acks/s, {count.rejected / secs:.1f} rate_limited "
        f"frames/s ({count.rejected} in all), {count.other_errors} other errors, "
        f"{count.closed} sockets closed by the server; server RSS "
        f"{sample.rss_bytes / 2**20:.1f} MB ({(sample.rss_bytes - rss_from) / 2**20:+.1f} "
        "over the phase)",
    ]


async def bench(args: argparse.Namespace) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this process holds the flood
    settings = await asyncio.to_thread(Settings.load, REPO / "config", None, {})
    args.send_timeout = (
        settings.config.limits.send_timeout_secs
        if hasattr(settings.config.limits, "send_timeout_secs")
        else 10.0
    )
    tokens = TokenService(Secret(DEV_SECRET), settings.config.auth)
    abuser_token = tokens.issue(Role.CUSTOMER, "bench-abuser", 3600)
    innocent_token = tokens.issue(Role.CUSTOMER, "bench-innocent", 3600)
    flooder_token = tokens.issue(Role.CUSTOMER, "bench-flooder", 3600)
    phases = set(args.phases.split(","))
    with tempfile.TemporaryDirectory(prefix="abuse-") as tmp:
        async with serve(args, Path(tmp)) as server, aiohttp.ClientSession() as session:
            print(f"server pid {server.process.pid}, nofile {args.nofile}, {server.url}")
            print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
            abuser = await open_customer(session, server, abuser_token)
            if "never-reading" in phases:
                started = time.monotonic()
                text = TEXTS[args.text]
                for n in range(args.messages):
                    await send_paced(abuser, f"{n} {text}")
                print(
                    f"wrote {args.messages} {args.text} messages in "
                    f"{time.monotonic() - started:.0f} s"
                )
            innocent = await open_customer(session, server, innocent_token)
            await innocent.send("hello")  # opens the innocent customer's conversation
            base = await measure(server, innocent, 8.0, len(server.log))
            print(base.row("baseline", None))

            if "never-reading" in phases:
                assert abuser.conversation_id is not None
                print(f"\n1. {args.sockets} never-reading sockets x {args.fetches} history.fetch")
                sample, lines = await never_readers(
                    args, server, innocent, abuser_token, abuser.conversation_id
                )
                print(sample.row("held", base))
                for line in lines:
                    print("   " + line)
                after = await measure(server, innocent, 4.0, len(server.log))
                print(after.row("after", base))

            if "idle" in phases:
                print(f"\n2. {args.idle} idle connections from {args.addresses} addresses")
                sample, lines = await idle_flood(args, server, innocent)
                print(sample.row("held", base))
                for line in lines:
                    print("   " + line)
                after = await measure(server, innocent, 4.0, len(server.log))
                print(after.row("after", base))
                print(
                    "goals: 2. healthz < 1000 ms (max above), innocent p99 < 100 ms, "
                    "log < 100000 B while held"
                )

            if "flood" in phases:
                print(f"\n3. one customer floods with {args.flood_sockets} sockets")
                sample, lines = await flood(args, server, innocent, flooder_token)
                print(sample.row("flood", base))
                for line in lines:
                    print("   " + line)
                after = await measure(server, innocent, 4.0, len(server.log))
                print(after.row("after", base))
                print("goal: 3. innocent p99 < 100 ms during the flood")
            print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, default=40)
    parser.add_argument("--fetches", type=int, default=8)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--text", choices=sorted(TEXTS), default="ascii")
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--addresses", type=int, default=20)
    parser.add_argument("--flood-sockets", type=int, default=15)
    parser.add_argument("--flood-secs", type=float, default=10.0)
    parser.add_argument("--phases", default="never-reading,idle,flood")
    parser.add_argument("--nofile", type=int, default=1024)
    parser.add_argument("--server-tree", type=Path, default=None)
    return asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
