"""Detection shared fairly between owners (issue 16 item 7): the queue's round-robin order
and back-pressure on its own, then the real pool with one worker, where one customer's
backlog must not keep another's message waiting behind all of it."""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from detectors import DetectorPool, Finding
from detectors.pool import DetectionUnavailableError, _FairQueue
from tests.detectors.assertions import values_of

PER_OWNER = 8
BACKLOG = 60
CARD_TEXT = "please refund card 4111 1111 1111 1111"


async def settle() -> None:
    """Let every task that can run without I/O reach its next wait."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_when_owners_queue_jobs_then_they_are_taken_round_robin() -> None:
    queue: _FairQueue[str] = _FairQueue(per_owner=10)
    for owner, item in [("A", "a1"), ("A", "a2"), ("A", "a3"), ("A", "a4")]:
        await queue.put(owner, item)
    for owner, item in [("B", "b1"), ("C", "c1"), ("B", "b2")]:
        await queue.put(owner, item)
    assert [queue.pop() for _ in range(len(queue))] == ["a1", "b1", "c1", "a2", "b2", "a3", "a4"]


async def test_when_an_owner_has_its_cap_waiting_then_it_waits_and_others_do_not() -> None:
    queue: _FairQueue[str] = _FairQueue(per_owner=2)
    await queue.put("A", "a1")
    await queue.put("A", "a2")
    third = asyncio.ensure_future(queue.put("A", "a3"))
    await settle()
    assert not third.done()  # back-pressure on A alone
    await queue.put("B", "b1")  # B does not wait
    assert queue.pop() == "a1"  # room for A again
    await third
    assert [queue.pop() for _ in range(len(queue))] == ["b1", "a2", "a3"]
    fourth = [asyncio.ensure_future(queue.put("C", f"c{n}")) for n in range(3)]
    await settle()
    assert queue.close() == ["c0", "c1"]
    with pytest.raises(DetectionUnavailableError):
        await fourth[2]


@pytest_asyncio.fixture
async def one_worker(config_dir: pathlib.Path) -> AsyncIterator[DetectorPool]:
    pool = DetectorPool(config_dir, workers=1, queued_per_owner=PER_OWNER)
    await pool.start()
    try:
        yield pool
    finally:
        await pool.close()


@pytest.mark.timeout(240)
async def test_when_one_customer_has_a_backlog_then_anothers_message_goes_in_the_next_batch(
    one_worker: DetectorPool,
) -> None:
    completed: list[str] = []

    def job(owner: str, label: str) -> asyncio.Future[list[Finding]]:
        task = asyncio.ensure_future(one_worker.detect(CARD_TEXT, owner=owner))
        task.add_done_callback(lambda _task: completed.append(label))
        return task

    backlog = [job("customer:flooder", f"A{n}") for n in range(BACKLOG)]
    innocent = job("customer:innocent", "B")
    results = await asyncio.gather(*backlog, innocent)
    assert all(values_of(r, CARD_TEXT, "CREDIT_CARD") == ["4111 1111 1111 1111"] for r in results)
    # At most one batch was in flight when B arrived, and only PER_OWNER of A's messages
    # could be waiting: B comes right after those, never behind the whole backlog.
    assert completed.index("B") <= PER_OWNER + 1, completed
    assert len(completed) == BACKLOG + 1
