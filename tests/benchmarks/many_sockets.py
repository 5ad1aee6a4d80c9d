"""Many open WebSockets on one instance (issue 19's goal: 5,000 concurrent connections with
heartbeats in under 1 GiB RSS, and message p99 for 20 active customers under 50 ms while
they are open), against the same server with none of them open, in the same run.

    .venv/bin/python -m tests.benchmarks.many_sockets [--sockets 5000] [--active 20] \
        [--interval 0.5] [--secs 30] [--addresses 20]

The server is `chat-service serve` in a child process (its own embedded store and one
detection worker, a temporary data directory, a free loopback port, the repository's
configuration). Phases:

1. baseline: `--active` customers each send a short message every `--interval` seconds
   for `--secs` seconds; each message is timed from send to its `message.ack`.
2. `--sockets` customers (one socket each, a token each) connect from `--addresses`
   loopback addresses (127.0.0.2 ...: the server caps connections per address) and stay
   idle, reading (so they answer the server's heartbeat pings, every `heartbeat_secs`).
3. the active customers again, with all of them open; `--secs` should span at least one
   heartbeat so that the pings' cost is in the figures.

Printed: ack p50/p90/p99 for both phases and their ratio, the server process's RSS before
and with the sockets open (and the whole tree's: the store child and the detection worker
do not grow with sockets), the time the sockets took to open, and sockets the server
closed. Everything binds 127.0.0.1/8 and stops by itself: about 2-3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import aiohttp

from chat_service.auth import Role, TokenService
from chat_service.settings import DEV_SECRET, Secret, Settings
from tests.benchmarks.abuse import Customer, Server, open_customer, serve
from tests.benchmarks.chat_throughput import percentile

REPO = Path(__file__).resolve().parents[2]
OPEN_CONCURRENCY = 200  # handshakes in flight at once
PER_ADDRESS = 250  # under the server's `[connections] max_per_ip` (256)


def tree_rss(pid: int) -> int:
    """RSS of a process and its descendants, in bytes."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
        except OSError:
            continue
    return total


class Acks(list[float]):
    """Ack latencies (ms), and where in the second of the monotonic clock each was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.phase: list[float] = []  # fraction of the second of CLOCK_MONOTONIC at send

    def near_whole_second(
        self, after: float = 0.1, before: float = 0.05
    ) -> tuple[list[float], list[float]]:
        """The latencies of sends from `before` s ahead of a whole second to `after` s past
        it, and the others. aiohttp rounds a WebSocket's heartbeat deadline up to a whole
        second of the loop's clock (CLOCK_MONOTONIC, the same in every process) when the
        heartbeat is longer than 5 s: every socket's ping is due at a whole second."""
        near = [ms for ms, f in zip(self, self.phase, strict=True) if f < after or f >= 1 - before]
        rest = [ms for ms, f in zip(self, self.phase, strict=True) if after <= f < 1 - before]
        return near, rest


async def active_phase(customers: list[Customer], interval: float, secs: float) -> Acks:
    """Each customer sends, waits for its ack, sleeps `interval`; until `secs` pass."""
    acks = Acks()
    stop = time.monotonic() + secs

    async def one(customer: Customer, n: int) -> None:
        i = 0
        await asyncio.sleep(interval * n / len(customers))  # spread the sends
        while time.monotonic() < stop:
            i += 1
            sent = time.monotonic()
            acks.append(await customer.send(f"question {i} about order {n}"))
            acks.phase.append(sent % 1.0)
            await asyncio.sleep(interval)

    await asyncio.gather(*(one(customer, n) for n, customer in enumerate(customers)))
    return acks


class Idle:
    """Idle sockets that read (aiohttp's client answers pings inside `receive`)."""

    def __init__(self) -> None:
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.readers: list[asyncio.Task[None]] = []
        self.closed_by_server = 0

    async def read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for _msg in ws:
            pass
        self.closed_by_server += 1


async def open_idle(
    server: Server, tokens: list[str], addresses: int, sessions: list[aiohttp.ClientSession]
) -> Idle:
    idle = Idle()
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one(n: int, token: str) -> None:
        async with gate:
            session = sessions[n // PER_ADDRESS % addresses]
            ws = await session.ws_connect(server.url + f"/ws?token={token}", heartbeat=None)
            hello = json.loads((await ws.receive()).data)
            assert hello["type"] == "hello", hello
            idle.sockets.append(ws)
            idle.readers.append(asyncio.create_task(idle.read(ws)))

    await asyncio.gather(*(one(n, token) for n, token in enumerate(tokens)))
    return idle


def row(name: str, acks: list[float]) -> str:
    return (
        f"{name:<24} ack p50/p90/p99 {percentile(acks, 50):.1f}/{percentile(acks, 90):.1f}/"
        f"{percentile(acks, 99):.1f} ms (n {len(acks)})"
    )


def by_phase(acks: Acks) -> str:
    near, rest = acks.near_whole_second()
    return (
        f"  sent within -50..+100 ms of a whole second: {row('', near).strip()}; "
        f"the rest: {row('', rest).strip()}"
    )


async def bench(args: argparse.Namespace) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.sockets + 200 > hard:
        raise SystemExit(f"open-file limit {hard} too low for {args.sockets} sockets")
    settings = await asyncio.to_thread(Settings.load, REPO / "config", None, {})
    heartbeat = settings.config.server.heartbeat_secs
    tokens = TokenService(Secret(DEV_SECRET), settings.config.auth)
    active_tokens = [tokens.issue(Role.CUSTOMER, f"active-{n}", 7200) for n in range(args.active)]
    idle_tokens = [tokens.issue(Role.CUSTOMER, f"idle-{n}", 7200) for n in range(args.sockets)]
    options = argparse.Namespace(server_tree=None, sockets=8, flood_sockets=8, nofile=None)
    addresses = max(1, min(args.addresses, -(-args.sockets // PER_ADDRESS)))
    with tempfile.TemporaryDirectory(prefix="many-sockets-") as tmp:
        async with serve(options, Path(tmp)) as server:
            sessions = [
                aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=0, local_addr=(f"127.0.0.{2 + a}", 0))
                )
                for a in range(addresses)
            ]
            main = aiohttp.ClientSession()
            try:
                print(f"server pid {server.process.pid}, {server.url}, heartbeat {heartbeat} s")
                print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
                customers = [await open_customer(main, server, t) for t in active_tokens]
                for customer in customers:
                    await customer.send("hello")  # opens each active customer's conversation
                base = await active_phase(customers, args.interval, args.secs)
                rss_before, tree_before = server.rss(), tree_rss(server.process.pid)
                print(row("baseline", base))
                print(by_phase(base))

                # Closed while the idle sockets open (tens of seconds): unread, they would be
                # closed as dead at the next heartbeat; reopened after, same conversations.
                conversations = [customer.conversation_id for customer in customers]
                for customer in customers:
                    await customer.ws.close()
                started = time.monotonic()
                idle = await open_idle(server, idle_tokens, addresses, sessions)
                opened_secs = time.monotonic() - started
                rss_open, tree_open = server.rss(), tree_rss(server.process.pid)
                print(
                    f"{len(idle.sockets)} idle sockets from {addresses} addresses opened in "
                    f"{opened_secs:.1f} s; server fds {server.fds()}"
                )
                customers = [await open_customer(main, server, t) for t in active_tokens]
                for customer, conversation in zip(customers, conversations, strict=True):
                    customer.conversation_id = conversation
                held = await active_phase(customers, args.interval, args.secs)
                print(row(f"with {len(idle.sockets)} open", held))
                print(by_phase(held))
                rss_held, tree_held = server.rss(), tree_rss(server.process.pid)
                print(
                    f"p99 ratio {percentile(held, 99) / percentile(base, 99):.2f}x, "
                    f"p50 ratio {percentile(held, 50) / percentile(base, 50):.2f}x"
                )
                mib = 2**20
                print(
                    f"server RSS {rss_before / mib:.0f} MB before, {rss_open / mib:.0f} MB "
                    f"opened, {rss_held / mib:.0f} MB after the second phase "
                    f"({(rss_held - rss_before) / args.sockets / 1024:.1f} KB a socket); "
                    f"whole tree {tree_before / mib:.0f} -> {tree_held / mib:.0f} MB "
                    f"({tree_open / mib:.0f} opened)"
                )
                print(f"sockets closed by the server while held: {idle.closed_by_server}")
                print(
                    "goals: server RSS < 1024 MB with the sockets open, p99 < 50 ms with them open"
                )
                print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
                for ws in idle.sockets:
                    await ws.close()
                for task in idle.readers:
                    task.cancel()
                await asyncio.gather(*idle.readers, return_exceptions=True)
            finally:
                for session in [*sessions, main]:
                    await session.close()
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--active", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--secs", type=float, default=30.0)
    parser.add_argument("--addresses", type=int, default=20)
    return asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
