"""Two instances on one store against one instance, end to end, in one run (issue 19's
goal: two instances on one store carry at least 90 % of one instance's message rate; the
store is the ceiling here).

    .venv/bin/python -m tests.benchmarks.two_instances [--customers 20] [--agents 4]
        [--seconds 4] [--rates 10,25,50] [--window 4] [--no-repeat] [--idle-b]
        [--profile DIR]

Real processes (tests/benchmarks/deployment.py): one `chat-service store`, one
`redis-server`, and `chat-service serve` instances attached to that store with REDIS_URL
(one detection worker each, flood limits lifted). Rounds, each with new customers and
agents (new conversations) and the load generator of chat_throughput.py (a child process:
the same phases, warm-up, fixed offered rates, then saturation with `--window` messages
in flight per customer):

1. one: instance A alone (B not started); customers and agents on A.
2. two: B started; customer i on instance i % 2, agent j on instance (j + 1) % 2, and
   customer i's conversation joined by agent i % M: every message is acknowledged by the
   customer's instance and delivered to an agent on the other one, through Redis.
   With `--idle-b`, then a round "one, B idle": everything on A as in round 1 while B runs
   (subscribed, receiving A's events, its jobs' turns), to tell B's presence from crossing.
3. one again: B stopped, A alone as in round 1 (unless `--no-repeat`): the drift of the
   shared machine and of the growing store between rounds 1 and 3 bounds how far the
   ratio can be trusted.

Printed per round and phase: msgs/s delivered to agents within the phase window, send ->
agent `message.new` p50/p99 (across instances in round 2), send -> `message.ack`
p50/p99, lost and errors; the saturation ratio two / one; the delivery p50 added at each
fixed rate in round 2 over round 1; and CPU per process (store, redis, each instance with
its detection worker, load generator) during each saturation phase, per message; and the
connections Redis accepted during each round (INFO stats: the instances' reconnects).

With `--profile DIR` the instances run under cProfile (profiled_serve.py), switched on
for each round and written to DIR/A-1.prof (A's first round), DIR/B-1.prof, ...; the
profiler slows them, so rates of such a run are not comparable.

Everything binds 127.0.0.1, stops by itself (about 4-6 minutes on 2 cores, most of it the
instances' start) and removes its processes and temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from chat_service.auth import Role
from tests.benchmarks.chat_throughput import (
    Tally,
    fmt,
    percentile,
    run_loadgen,
)
from tests.benchmarks.deployment import (
    CpuSamples,
    Deployment,
    Instance,
    Tokens,
    cpu_between,
    cpu_sampler,
    deployment,
    load_average,
    loadgen_cpu,
)
from tests.benchmarks.load_options import load_parser

GOAL_RATIO = 0.90


@dataclass
class Round:
    name: str
    tallies: list[Tally]
    loadgen_cpu_secs: float
    samples: CpuSamples
    redis_connections: int  # connections Redis accepted during the round (INFO stats)

    @property
    def saturation(self) -> Tally:
        return next(t for t in self.tallies if t.rate <= 0 and t.reported)

    @property
    def rate(self) -> float:
        t = self.saturation
        return t.delivered_in_window / t.seconds


async def run_round(
    name: str,
    tag: str,
    customer_at: list[Instance],
    agent_at: list[Instance],
    dep: Deployment,
    tokens: Tokens,
    args: argparse.Namespace,
) -> Round:
    print(f"[{time.strftime('%H:%M:%S')}] round {name}, load {load_average()}", file=sys.stderr)
    customers = [
        inst.ws_url + tokens.issue(Role.CUSTOMER, f"{tag}-cust-{i}")
        for i, inst in enumerate(customer_at)
    ]
    agents = [
        inst.ws_url + tokens.issue(Role.AGENT, f"{tag}-agent-{j}")
        for j, inst in enumerate(agent_at)
    ]
    connections = await redis_connections_received(dep)
    before = loadgen_cpu()
    dep.signal_instances(signal.SIGUSR1)  # with --profile: each instance's profile starts
    try:
        async with cpu_sampler(dep.pids()) as samples:
            tallies = await run_loadgen("full", customers, agents, args)
    finally:
        dep.signal_instances(signal.SIGUSR2)  # ... and is written
    loadgen = loadgen_cpu() - before
    # Less the one this count itself opens.
    connections = await redis_connections_received(dep) - connections - 1
    return Round(name, tallies, loadgen, samples, connections)


async def redis_connections_received(dep: Deployment) -> int:
    """Redis's `total_connections_received` (INFO stats): every connection an instance
    opened, its reconnects included (a call cut mid-reply costs its connection)."""
    client = Redis.from_url(dep.redis.url)
    try:
        stats = await client.info("stats")
        return int(stats["total_connections_received"])
    finally:
        await client.aclose()


async def bench(args: argparse.Namespace) -> int:
    tokens = Tokens()
    rounds: list[Round] = []
    load_before = load_average()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="two-instances-") as tmp:
        async with deployment(Path(tmp), args.profile) as dep:
            a = await dep.start_instance("A")
            on_a = [a] * args.customers
            agents_a = [a] * args.agents
            rounds.append(await run_round("one", "r1", on_a, agents_a, dep, tokens, args))
            b = await dep.start_instance("B")
            both = [a, b]
            rounds.append(
                await run_round(
                    "two",
                    "r2",
                    [both[i % 2] for i in range(args.customers)],
                    [both[(j + 1) % 2] for j in range(args.agents)],
                    dep,
                    tokens,
                    args,
                )
            )
            if args.idle_b:
                rounds.append(
                    await run_round("one, B idle", "r2b", on_a, agents_a, dep, tokens, args)
                )
            if not args.no_repeat:
                await b.stop()
                rounds.append(await run_round("one again", "r3", on_a, agents_a, dep, tokens, args))
    report(rounds, args, load_before, time.monotonic() - started)
    return 0


def report(rounds: list[Round], args: argparse.Namespace, load_before: str, wall: float) -> None:
    print()
    print(
        f"two instances vs one - {args.customers} customers, {args.agents} agents, window "
        f"{args.window}, {args.seconds:g} s per phase, rates {args.rates} msgs/s total; real "
        "serve processes with detection (1 worker each), one store, one redis-server"
    )
    header = (
        f"{'round':<13}{'load':<15}{'msgs/s':>9}{'dlv p50':>9}{'dlv p99':>9}"
        f"{'ack p50':>9}{'ack p99':>9}{'n':>7}{'lost':>6}{'err':>5}{'gen lag p99':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in rounds:
        for t in r.tallies:
            if not t.reported:
                continue
            print(
                f"{r.name:<13}{t.name:<15}{t.delivered_in_window / t.seconds:>9.1f}"
                f"{fmt(percentile(t.agent_ms, 50)):>9}{fmt(percentile(t.agent_ms, 99)):>9}"
                f"{fmt(percentile(t.ack_ms, 50)):>9}{fmt(percentile(t.ack_ms, 99)):>9}"
                f"{len(t.agent_ms):>7}{t.lost:>6}{t.errors:>5}"
                f"{fmt(percentile(t.gen_lag_ms, 99)):>12}"
            )
    print(
        "msgs/s: delivered to agents within the phase window. dlv: send -> agent message.new "
        "(round two: the agent is on the other instance). ack: send -> message.ack. lost: no "
        "answer within 10 s after the phase. gen lag: the load generator's loop."
    )
    ones = [r for r in rounds if r.name in ("one", "one again")]
    two = next(r for r in rounds if r.name == "two")
    print()
    for one in [r for r in rounds if r.name != "two"]:
        ratio = two.rate / one.rate if one.rate else math.nan
        print(f"saturation: two {two.rate:.1f} / {one.name} {one.rate:.1f} msgs/s = {ratio:.1%}")
    baseline = sum(r.rate for r in ones) / len(ones)
    ratio = two.rate / baseline if baseline else math.nan
    verdict = "PASS" if ratio >= GOAL_RATIO else "FAIL"
    print(
        f"goal: two instances >= {GOAL_RATIO:.0%} of one (mean of the one-instance rounds "
        f"{baseline:.1f} msgs/s): {ratio:.1%} {verdict}"
    )
    first = ones[0]
    for one_t, two_t in zip(first.tallies, two.tallies, strict=True):
        if one_t.rate > 0 and one_t.reported:
            added = percentile(two_t.agent_ms, 50) - percentile(one_t.agent_ms, 50)
            ack_added = percentile(two_t.ack_ms, 50) - percentile(one_t.ack_ms, 50)
            print(
                f"{two_t.name:<15} delivery p50 across instances {added:+.1f} ms over one "
                f"instance; ack p50 {ack_added:+.1f} ms"
            )
    print()
    print(
        "CPU by process in each phase (2 cores = 200 %; in brackets ms per delivered "
        "message; all: the sum over the processes, load generator excluded):"
    )
    all_ms: dict[str, float] = {}
    for r in rounds:
        for t in r.tallies:
            if not t.reported:
                continue
            secs, used = cpu_between(r.samples, t.start, t.end)
            done = t.delivered_in_window or 1
            parts = ", ".join(
                f"{name} {100 * cpu / secs:.0f} % ({1000 * cpu / done:.2f})"
                for name, cpu in used.items()
            )
            total = 1000 * sum(used.values()) / done
            if t.rate <= 0:
                all_ms[r.name] = total
            print(f"  {r.name:<10} {t.name:<15} {secs:4.1f} s: {parts}; all {total:.2f} ms")
        sent = sum(x.sent for x in r.tallies) or 1
        print(
            f"  {r.name:<10} load generator over the whole round {r.loadgen_cpu_secs:.1f} s "
            f"({1000 * r.loadgen_cpu_secs / sent:.2f} ms per message sent); connections "
            f"Redis accepted during the round {r.redis_connections}"
        )
    for one in [r for r in rounds if r.name != "two"]:
        if one.name in all_ms and two.name in all_ms:
            print(
                f"CPU per message at saturation, {one.name} / two: {all_ms[one.name]:.2f} / "
                f"{all_ms[two.name]:.2f} ms = {all_ms[one.name] / all_ms[two.name]:.1%} (the "
                "throughput ratio to expect where the shared cores, not the store, are the limit)"
            )
    print(f"load average before {load_before}, after {load_average()}; wall {wall:.0f} s")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = load_parser(
        "python -m tests.benchmarks.two_instances",
        "Two serve instances on one store and Redis against one, end to end.",
    )
    parser.add_argument("--no-repeat", action="store_true", help="skip round 3 (one again)")
    parser.add_argument(
        "--idle-b",
        action="store_true",
        help="after round 2, a round with everything on A while B runs idle",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run the instances under cProfile (profiled_serve.py), one file per instance "
        "and round in DIR (A-1.prof: A's first round, ...); slows them: rates not comparable",
    )
    args = parser.parse_args(argv)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        args.profile = args.profile.resolve()
    if args.customers < 2 or args.agents < 2 or args.window < 1 or args.seconds <= 0:
        parser.error("--customers and --agents >= 2, --window and --seconds positive")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(bench(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
