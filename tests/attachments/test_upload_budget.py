"""The memory budget of uploads being read (attachments/budget.py) and the export gate
(resources.py), on their own: order, release on error and cancellation, the deadline.

No timing: every step waits for the state it needs (a waiter queued, a holder inside)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from chat_service.attachments.budget import MemoryBudget, ServerBusy, image_bytes
from chat_service.resources import ExportGate, TooManyExports

LONG_WAIT_SECS = 60.0


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until `condition` holds (they need only the loop)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


async def holder(
    budget: MemoryBudget, weight: int, inside: asyncio.Event, leave: asyncio.Event
) -> None:
    async with budget.hold(weight):
        inside.set()
        await leave.wait()


async def test_when_charges_exceed_the_budget_then_later_ones_wait_in_arrival_order() -> None:
    budget = MemoryBudget(100, LONG_WAIT_SECS)
    order: list[str] = []
    leave = {name: asyncio.Event() for name in "abcd"}
    inside = {name: asyncio.Event() for name in "abcd"}

    async def run(name: str, weight: int) -> None:
        async with budget.hold(weight):
            order.append(name)
            inside[name].set()
            await leave[name].wait()

    a = asyncio.create_task(run("a", 60))
    await inside["a"].wait()
    b = asyncio.create_task(run("b", 70))  # does not fit beside a: waits
    await until(lambda: budget.waiting == 1)
    c = asyncio.create_task(run("c", 10))  # would fit, but b came first: no overtaking
    await until(lambda: budget.waiting == 2)
    assert order == ["a"] and budget.in_use_bytes == 60
    leave["a"].set()
    await inside["b"].wait()
    await inside["c"].wait()
    assert order == ["a", "b", "c"]
    assert budget.in_use_bytes == 80
    d = asyncio.create_task(run("d", 30))  # 80 + 30 > 100
    await until(lambda: budget.waiting == 1)
    leave["c"].set()
    await inside["d"].wait()
    for event in leave.values():
        event.set()
    await asyncio.gather(a, b, c, d)
    assert budget.in_use_bytes == 0 and budget.running == 0 and budget.waiting == 0
    assert budget.peak_bytes <= 100


async def test_when_a_charge_is_larger_than_the_budget_then_it_runs_alone() -> None:
    budget = MemoryBudget(100, LONG_WAIT_SECS)
    inside, leave = asyncio.Event(), asyncio.Event()
    big = asyncio.create_task(holder(budget, 10_000, inside, leave))
    await inside.wait()
    assert budget.in_use_bytes == 100
    small_inside = asyncio.Event()
    small = asyncio.create_task(holder(budget, 1, small_inside, leave))
    await until(lambda: budget.waiting == 1)
    leave.set()
    await asyncio.gather(big, small)
    assert budget.peak_running == 1 and budget.in_use_bytes == 0


async def test_when_the_holder_raises_then_its_charge_is_given_back() -> None:
    budget = MemoryBudget(100, LONG_WAIT_SECS)
    with pytest.raises(RuntimeError, match="decoder failed"):
        async with budget.hold(100):
            raise RuntimeError("decoder failed")
    assert budget.in_use_bytes == 0 and budget.running == 0
    async with budget.hold(100):
        assert budget.in_use_bytes == 100


async def test_when_a_holder_or_a_waiter_is_cancelled_then_nothing_stays_charged() -> None:
    budget = MemoryBudget(100, LONG_WAIT_SECS)
    inside, leave = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(holder(budget, 80, inside, leave))
    await inside.wait()
    # A large waiter at the head, then a small one behind it.
    big_inside, small_inside = asyncio.Event(), asyncio.Event()
    big = asyncio.create_task(holder(budget, 90, big_inside, leave))
    await until(lambda: budget.waiting == 1)
    small = asyncio.create_task(holder(budget, 20, small_inside, leave))
    await until(lambda: budget.waiting == 2)
    big.cancel()  # the client went away while waiting: the small one may now go in
    await small_inside.wait()
    assert budget.in_use_bytes == 100 and budget.waiting == 0
    first.cancel()  # cancelled while holding
    small.cancel()
    await asyncio.gather(first, big, small, return_exceptions=True)
    assert budget.in_use_bytes == 0 and budget.running == 0 and budget.waiting == 0


async def test_when_the_budget_stays_full_past_the_wait_then_server_busy() -> None:
    budget = MemoryBudget(100, wait_secs=0.01)
    inside, leave = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(holder(budget, 100, inside, leave))
    await inside.wait()
    with pytest.raises(ServerBusy) as refused:
        async with budget.hold(1):
            pytest.fail("admitted past a full budget")
    assert refused.value.http_status == 503 and refused.value.code == "server_busy"
    assert refused.value.retry_after_secs >= 1
    assert budget.waiting == 0
    leave.set()
    await first
    assert budget.in_use_bytes == 0


async def test_when_the_budget_changes_then_the_observer_sees_charge_and_queue() -> None:
    seen: list[tuple[int, int]] = []
    budget = MemoryBudget(
        10, LONG_WAIT_SECS, on_change=lambda used, waiting: seen.append((used, waiting))
    )
    inside, leave = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(holder(budget, 10, inside, leave))
    await inside.wait()
    second_inside = asyncio.Event()
    second = asyncio.create_task(holder(budget, 5, second_inside, leave))
    await until(lambda: budget.waiting == 1)
    leave.set()
    await asyncio.gather(first, second)
    assert (10, 0) in seen and (10, 1) in seen and seen[-1] == (0, 0)


def test_when_a_picture_is_charged_then_it_is_its_pixels_times_the_copies_kept() -> None:
    assert image_bytes(6000, 6000) == 6000 * 6000 * 4 * 2


async def test_when_a_customer_already_exports_then_a_second_is_refused_and_others_queue() -> None:
    gate = ExportGate(capacity=1, per_customer=1, wait_secs=LONG_WAIT_SECS)
    inside, leave = asyncio.Event(), asyncio.Event()

    async def export(customer: str, entered: asyncio.Event) -> None:
        async with gate.turn(customer):
            entered.set()
            await leave.wait()

    first = asyncio.create_task(export("cust-1", inside))
    await inside.wait()
    with pytest.raises(TooManyExports) as refused:
        async with gate.turn("cust-1"):
            pytest.fail("a second export of the same customer ran")
    assert refused.value.http_status == 429
    other_inside = asyncio.Event()
    other = asyncio.create_task(export("cust-2", other_inside))
    await until(lambda: gate.turns.waiting == 1)  # capacity 1: waits its turn
    leave.set()
    await asyncio.gather(first, other)
    assert other_inside.is_set() and gate.turns.in_use_bytes == 0
    async with gate.turn("cust-1"):  # the customer may export again afterwards
        pass
