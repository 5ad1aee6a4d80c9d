"""Garbage-collector pauses (chat_service/gc_pauses.py): start-up's objects are frozen out
of collection, and every collection's pause is exported in /metrics."""

from __future__ import annotations

import gc
import re
from typing import Any

from chat_service.gc_pauses import (
    MIDDLE_THRESHOLD_COLLECTIONS,
    OLD_THRESHOLD_COLLECTIONS,
    YOUNG_THRESHOLD_OBJECTS,
    freeze_startup_objects,
    tune_collection_thresholds,
)
from tests.helpers.metrics import scrape
from tests.helpers.ws import Client


def _count(text: str, generation: int) -> float:
    found = re.search(
        rf'^chat_gc_pause_seconds_count\{{generation="{generation}"\}} (\S+)$', text, re.M
    )
    return float(found.group(1)) if found else 0.0


async def test_when_a_full_collection_runs_then_its_pause_is_in_metrics(client: Client) -> None:
    before = _count(await scrape(client), 2)
    gc.collect()
    after = _count(await scrape(client), 2)
    assert after >= before + 1


def test_when_startup_objects_are_frozen_then_collections_no_longer_walk_them() -> None:
    kept = [[n] for n in range(10_000)]  # live objects made "during start-up"
    try:
        frozen = freeze_startup_objects()
        assert frozen >= len(kept)
        assert frozen == gc.get_freeze_count()
        tracked = {id(o) for o in gc.get_objects()}
        assert not any(id(o) in tracked for o in kept)  # no generation holds them
    finally:
        gc.unfreeze()  # this test process goes on creating apps
    assert gc.get_freeze_count() == 0


def test_when_thresholds_are_tuned_then_a_young_collection_is_due_sooner() -> None:
    default = gc.get_threshold()
    started: list[int] = []

    def seen(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(info["generation"])

    try:
        assert tune_collection_thresholds() == (
            YOUNG_THRESHOLD_OBJECTS,
            MIDDLE_THRESHOLD_COLLECTIONS,
            OLD_THRESHOLD_COLLECTIONS,
        )
        assert gc.get_threshold()[0] < default[0] and gc.get_threshold()[1] > default[1]
        gc.collect()  # every count back to 0
        gc.callbacks.append(seen)
        kept = [[n] for n in range(YOUNG_THRESHOLD_OBJECTS * 2)]  # far below CPython's 2,000
        assert started and started[0] == 0, started
        del kept
    finally:
        if seen in gc.callbacks:
            gc.callbacks.remove(seen)
        gc.set_threshold(*default)  # this test process keeps CPython's defaults
    assert gc.get_threshold() == default
