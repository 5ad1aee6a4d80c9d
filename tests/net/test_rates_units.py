"""The shared bucket table on its own, with a clock the test moves: a bucket refills at its
rate, an idle one is forgotten, and the table never holds more than its cap of keys; and a
key's turns (frames handled at once)."""

from __future__ import annotations

import asyncio

from chat_service.net.forwarded import address_key
from chat_service.net.rates import BucketTable, Turns


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_when_a_key_spends_its_burst_then_refused_until_its_rate_refills_it() -> None:
    clock = Clock()
    table = BucketTable(rate=2.0, burst=3, max_keys=100, clock=clock)
    assert [table.take("a") for _ in range(4)] == [True, True, True, False]
    assert table.take("b")  # another key: a bucket of its own
    clock.now += 0.5  # one token back at 2 a second
    assert [table.take("a") for _ in range(2)] == [True, False]


def test_when_keys_go_idle_then_they_are_forgotten() -> None:
    clock = Clock()
    table = BucketTable(rate=1.0, burst=5, max_keys=100, clock=clock)
    for n in range(50):
        table.take(f"addr-{n}")
    assert len(table) == 50
    clock.now += 5.0  # full again: nothing worth keeping
    table.take("late")
    assert len(table) == 1


def test_when_an_attacker_cycles_through_keys_then_the_table_stays_at_its_cap() -> None:
    clock = Clock()
    table = BucketTable(rate=0.001, burst=2, max_keys=64, clock=clock)
    table.take("steady")
    for n in range(10_000):
        table.take(f"spoofed-{n}")
        if n % 50 == 0:
            table.take("steady")  # in use: stays, least recently used ones go first
    assert len(table) == 64
    assert not table.take("steady")  # its spent tokens were kept, not reset by eviction


def test_when_addresses_are_keyed_then_an_ipv6_client_is_its_64_and_mapped_ipv4_is_ipv4() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:192.0.2.7") == "192.0.2.7" == address_key("192.0.2.7")


async def test_when_a_key_holds_its_turns_then_the_next_waits_and_other_keys_do_not() -> None:
    turns = Turns(limit=2)
    entered: list[str] = []
    leave = asyncio.Event()

    async def hold(key: str, name: str) -> None:
        async with turns.turn(key):
            entered.append(name)
            await leave.wait()

    tasks = [asyncio.ensure_future(hold("cust", f"c{n}")) for n in range(3)]
    tasks.append(asyncio.ensure_future(hold("other", "o")))
    for _ in range(5):
        await asyncio.sleep(0)  # every task reaches its wait
    assert entered == ["c0", "c1", "o"]  # c2 waits its turn
    leave.set()
    await asyncio.gather(*tasks)
    assert entered == ["c0", "c1", "o", "c2"]
    assert len(turns) == 0  # nothing kept once nobody holds or waits
