"""Waiting for the pool's own state instead of for a time: a test that must act while a job
runs acts once the job is on a worker, never after a sleep that the job may outrun."""

from __future__ import annotations

import asyncio

from detectors import DetectorPool

IDLE_POLL_SECS = 0.01


def _busy(pool: DetectorPool) -> bool:
    return bool(pool._slots.documents_busy) or any(w.busy for w in pool._workers)


async def idle(pool: DetectorPool) -> None:
    """Until no worker has a job and no document holds a slot (an earlier test's cancelled
    picture may still be read)."""
    while _busy(pool):  # noqa: ASYNC110  # the pool has no event for this
        await asyncio.sleep(IDLE_POLL_SECS)


async def job_started(pool: DetectorPool) -> None:
    """Until a worker of an idle `pool` has been sent a job. Checked on every turn of the
    event loop: a job's answer can only arrive on a later turn, after the worker has done
    the work, so whoever acts right after this acts while that job is still running."""
    while not any(w.busy for w in pool._workers):  # noqa: ASYNC110  # each turn
        await asyncio.sleep(0)
