"""Garbage-collector pauses (chat_service/gc_pauses.py): start-up's objects are frozen out
of collection, and every collection's pause is exported in /metrics."""

from __future__ import annotations

import gc
import re
from collections import Counter
from typing import Any

from chat_service.gc_pauses import (
    MIDDLE_THRESHOLD_COLLECTIONS,
    OLD_THRESHOLD_COLLECTIONS,
    YOUNG_THRESHOLD_OBJECTS,
    freeze_startup_objects,
    tune_collection_thresholds,
)
from tests.helpers.metrics import scrape
from tests.helpers.ws import Client, connect


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
        # Still frozen while they live. Not `== frozen`: other threads of this process (the
        # test runner's) free frozen objects of their own at any moment (805,494 then 805,481).
        assert gc.get_freeze_count() >= len(kept)
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
        assert gc.get_threshold()[0] < default[0] and gc.get_threshold()[2] > default[2]
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


async def test_when_messages_are_sent_and_acked_then_their_path_leaves_no_reference_cycles(
    client: Client,
) -> None:
    """A message's path (socket, rate limits, scan, the store over pymongo's async client,
    the ack) frees what it made by reference counting: nothing is left for the collector
    (measured: 0 unreachable objects for 20 messages). Cycles made per message would fill
    every young collection; a stray one from elsewhere in the window is tolerated."""
    customer = await connect(client, "customer", "c-gc-cycles")
    await customer.send_text("hello, a question about my order")
    conversation = (await customer.expect("message.ack"))["conversation_id"]
    await customer.send_text("warm-up", conversation_id=conversation)
    await customer.expect("message.ack")
    messages = 20
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds stays in gc.garbage
    try:
        for n in range(messages):
            await customer.send_text(f"question {n}", conversation_id=conversation)
            await customer.expect("message.ack")
        found = gc.collect()
        kinds = Counter(type(o).__qualname__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert found < messages, kinds.most_common(10)
