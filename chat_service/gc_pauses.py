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

`GcPauses` times every collection through `gc.callbacks` into
`chat_gc_pause_seconds{generation}`, so a pause shows in `/metrics` beside the event-loop
lag (`chat_event_loop_lag_seconds`), and `chat_gc_frozen_objects` says how many objects
were frozen (0: start-up did not freeze).
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
