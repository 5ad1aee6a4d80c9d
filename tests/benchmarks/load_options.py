"""The load generator's options, shared by the benchmarks that drive it
(chat_throughput.py, two_instances.py): sockets, phase length, offered rates, window."""

from __future__ import annotations

import argparse


def parse_rates(raw: str) -> list[float]:
    rates = [float(r) for r in raw.split(",") if r.strip()]
    if not rates or any(r <= 0 for r in rates):
        raise argparse.ArgumentTypeError("rates must be positive numbers, e.g. 10,25,50")
    return rates


def load_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A parser with --customers, --agents, --seconds, --rates and --window (defaults: 20,
    4, 4 s, 10,25,50 msgs/s, 4 in flight per customer)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--customers", type=int, default=20, help="customer sockets (20)")
    parser.add_argument("--agents", type=int, default=4, help="agent sockets (4)")
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per phase (4)")
    parser.add_argument(
        "--rates",
        type=parse_rates,
        default=[10.0, 25.0, 50.0],
        help="fixed offered rates, total msgs/s across customers (10,25,50)",
    )
    parser.add_argument("--window", type=int, default=4, help="in flight per customer (4)")
    return parser
