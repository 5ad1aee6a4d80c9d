"""The garbage collector's pauses: start-up's objects frozen, every pause measured.

CPython's cyclic collector stops the process while it runs, and a full (generation-2)
collection walks every tracked object. A started server, its store child and each
detection worker hold 100,000-125,000 of them after start-up (modules, classes, the
configuration, pymongo's and aiohttp's state, spaCy's and Presidio's models in a worker)
that live as long as the process: a full collection cost 220-350 ms on the shared 2-core
machine (a process paused that long delays every message in flight), and nearly all of it
was walking those objects again. `freeze_startup_objects()`, called once the process has
started, moves them to the permanent generation (`gc.freeze()`), which no collection
walks; objects made later (sockets, caches, messages) are collected as before.

`tune_collection_thresholds()`, called by `serve` after the freeze, lowers the young
generation's threshold and raises the old one's (the constants below say why): with
thousands of WebSockets open, the default thresholds let young collections come every
few seconds, each walking every heartbeat timer made since the last one.

`GcPauses` times every collection through `gc.callbacks` into
`chat_gc_pause_seconds{generation}`, so a pause shows in `/metrics` beside the event-loop
lag (`chat_event_loop_lag_seconds`), and `chat_gc_frozen_objects` says how many objects
were frozen (0: start-up did not freeze), `chat_gc_threshold{generation}` the thresholds.
"""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import Histogram


def freeze_startup_objects() -> int:
    """Collect what start-up left as garbage, then freeze every object alive now; the
    number frozen. Call once, when the process has finished starting."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def frozen_objects() -> int:
    return gc.get_freeze_count()


# A young (generation-0) collection is due when allocations minus deallocations of tracked
# objects since the last one pass threshold 0 (CPython 3.13: 2,000). Every object freed
# counts, young or old, so with 5,000 WebSockets open the count barely rises while the
# young generation fills: each socket renews its heartbeat timer, its pong timer and its
# pending read (~11 tracked objects: timer handles, contexts, bound methods, the read's
# coroutine and future) every `heartbeat_secs`, and they live 10-20 s. In
# `many_sockets.py` a young collection then came every 4-12 s and walked 30,000-34,000
# live objects, all of them those (20-45 ms of CPU on the busy 2-core machine, 50-135 ms
# of pause), collecting nothing. With threshold 0 at 200 young collections come far more
# often (the count is a walk up and down, not a steady climb) and each walks a few
# hundred to a few thousand objects. A middle (generation-1) collection walks every
# object that outlived a young one since the last middle one and is still alive; those
# timers live 10-20 s. With threshold 1 raised (100, then 1000) middle collections came
# every 4-10 s at 35-50 ms of CPU, then every 30-50 s at 100-170 ms: each walked every
# timer promoted since the last. So threshold 1 stays at CPython's 10 (a middle
# collection about every second, walking what outlived a young one since) and what
# outlives it moves to the old generation, where reference counting frees it. What
# rises is threshold 2: a full collection walks every object (0.2-0.6 s of CPU with
# 5,000 sockets open on the busy machine) and comes once 1000 middle ones have passed
# (CPython: 10) and a quarter more objects than the last one kept have reached the old
# generation: ~20 minutes apart at the ~0.8 middle collections a second measured with
# the sockets open (an estimate, not observed), instead of every few minutes. A
# message's path leaves no cyclic garbage (tests/test_gc_pauses.py); what little the
# server makes is found by the young or middle collection after it forms.
# tests/benchmarks/README.md (many_sockets.py).
YOUNG_THRESHOLD_OBJECTS = 200
MIDDLE_THRESHOLD_COLLECTIONS = 10  # young collections per middle one (CPython: 10)
OLD_THRESHOLD_COLLECTIONS = 1000  # middle collections per full one (CPython: 10)


def collection_threshold(generation: int) -> int:
    return gc.get_threshold()[generation]


def tune_collection_thresholds() -> tuple[int, int, int]:
    """Set the server process's collection thresholds (above); the thresholds now."""
    gc.set_threshold(
        YOUNG_THRESHOLD_OBJECTS, MIDDLE_THRESHOLD_COLLECTIONS, OLD_THRESHOLD_COLLECTIONS
    )
    return gc.get_threshold()


class GcPauses:
    """Observes each collection's duration into `pauses` (labelled by generation) while
    installed. The callback is process-wide (gc.callbacks); each app installs its own."""

    def __init__(self, pauses: Histogram) -> None:
        self._pauses = pauses
        self._started: float | None = None

    def install(self) -> None:
        gc.callbacks.append(self._callback)

    def remove(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        started, self._started = self._started, None
        if started is not None:
            self._pauses.labels(str(info["generation"])).observe(time.perf_counter() - started)
