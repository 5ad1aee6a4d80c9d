# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""The async process pool: real worker processes, batching, the event loop kept free, and a
worker killed mid-flight replaced with its messages retried (never passed unscanned)."""

from __future__ import annotations

import asyncio
import os
import pathlib
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from blockbuster import BlockBuster

from detectors import DetectorPool, DocumentUnreadableError, KnownCustomer
from tests.detectors import jobs, waits
from tests.detectors.assertions import values_of

CARD_TEXT = "please refund card 4111 1111 1111 1111"
LONG_TEXT = ("The quick brown fox asks about order NB-20261126001. " * 6000) + CARD_TEXT


# The tests that leave their worker alive share one pool (each pool's worker loads the spaCy
# models: slow to start); any other test, one that kills or breaks a worker, gets its own.
SHARED_POOL_TESTS = frozenset(
    {
        "test_when_messages_arrive_concurrently_then_workers_answer_without_blocking_the_loop",
        "test_when_an_answer_cannot_be_sent_back_then_the_caller_gets_an_error_worker_kept",
    }
)


@dataclass
class _Shared:
    pool: DetectorPool | None = None


@pytest_asyncio.fixture(scope="module")
async def shared() -> AsyncIterator[_Shared]:
    """The module's shared pool, started by the first test that asks for it. Its own, not
    the session's scanner: these tests count the pool's restarts."""
    holder = _Shared()
    try:
        yield holder
    finally:
        if holder.pool is not None:
            await holder.pool.close()


@pytest_asyncio.fixture
async def pool(
    request: pytest.FixtureRequest, config_dir: pathlib.Path, shared: _Shared
) -> AsyncIterator[DetectorPool]:
    if request.node.name in SHARED_POOL_TESTS:
        if shared.pool is None:
            shared.pool = DetectorPool(config_dir, workers=1)
            await shared.pool.start()
        yield shared.pool
        return
    detector_pool = DetectorPool(config_dir, workers=1)
    await detector_pool.start()
    try:
        yield detector_pool
    finally:
        await detector_pool.close()


# CPU time of the event loop's thread, not wall time: a wall-clock stall also counts the
# moments the machine gives the loop no core (other tests, the workers themselves), so only
# CPU the loop itself spends tells whether detection ran on it.
LOOP_CPU_LIMIT_SECS = 0.25


@pytest.mark.timeout(180)
async def test_when_messages_arrive_concurrently_then_workers_answer_without_blocking_the_loop(
    pool: DetectorPool, blockbuster: BlockBuster
) -> None:
    texts = [f"收件人梁鑫，电话1381234{i:04d}" for i in range(40)] + [CARD_TEXT]
    loop_cpu_before = time.thread_time()  # this coroutine runs on the loop's thread
    results = await asyncio.gather(*(pool.detect(t) for t in texts))
    assert all(
        values_of(r, t, "PHONE_NUMBER") for r, t in zip(results[:40], texts[:40], strict=True)
    )
    assert values_of(results[-1], CARD_TEXT, "CREDIT_CARD") == ["4111 1111 1111 1111"]
    assert values_of(await pool.detect(LONG_TEXT), LONG_TEXT, "CREDIT_CARD") == [
        "4111 1111 1111 1111"
    ]
    loop_cpu = time.thread_time() - loop_cpu_before
    assert loop_cpu < LOOP_CPU_LIMIT_SECS, f"the event loop spent {loop_cpu:.3f} s of CPU"
    known = await pool.detect("尾号5678", "zh", KnownCustomer(phone="13812345678"))
    assert values_of(known, "尾号5678", "PHONE_NUMBER") == ["5678"]
    with pytest.raises(ValueError, match="unsupported language"):
        await pool.detect("hello", "fr")


@pytest.mark.timeout(240)
async def test_when_a_worker_is_killed_mid_flight_then_it_is_replaced_and_the_message_retried(
    pool: DetectorPool,
) -> None:
    [pid] = await pool.worker_pids()
    await waits.idle(pool)
    in_flight = asyncio.ensure_future(pool.detect(LONG_TEXT))
    await waits.job_started(pool)  # killed while it reads the text, not before or after
    assert not in_flight.done()
    os.kill(pid, signal.SIGKILL)
    findings = await asyncio.wait_for(in_flight, timeout=200)
    assert values_of(findings, LONG_TEXT, "CREDIT_CARD") == ["4111 1111 1111 1111"]
    assert pool.restarts == 1
    assert pid not in await pool.worker_pids()


@pytest.mark.timeout(240)
async def test_when_an_idle_worker_dies_then_the_next_message_gets_a_fresh_one(
    pool: DetectorPool,
) -> None:
    [pid] = await pool.worker_pids()
    os.kill(pid, signal.SIGKILL)
    await asyncio.to_thread(pool._workers[0].process.join, 10)  # dead before any job
    findings = await asyncio.wait_for(pool.detect(CARD_TEXT), timeout=200)
    assert values_of(findings, CARD_TEXT, "CREDIT_CARD") == ["4111 1111 1111 1111"]
    assert pool.restarts == 1
    [fresh] = await pool.worker_pids()
    assert fresh != pid


@pytest.mark.timeout(180)
async def test_when_an_answer_cannot_be_sent_back_then_the_caller_gets_an_error_worker_kept(
    pool: DetectorPool,
) -> None:
    [pid] = await pool.worker_pids()
    with pytest.raises(DocumentUnreadableError, match="RuntimeError"):
        await pool._run_document("unsendable", jobs.unsendable)
    assert values_of(await pool.detect(CARD_TEXT), CARD_TEXT, "CREDIT_CARD") == [
        "4111 1111 1111 1111"
    ]
    assert await pool.worker_pids() == [pid]
    assert pool.restarts == 0
