"""Async detection for the server: a process pool, never detection on the event loop.

Each worker process builds one ``Detector`` in its initializer (about 3 s) and then serves
batches. Concurrent ``detect`` calls are queued and dispatched in batches (up to
``MAX_BATCH`` messages, one batch in flight per worker), so busy periods get spaCy's
``nlp.pipe`` batching for free and quiet periods get one-message latency. If a worker dies
the pool breaks; it is replaced by a fresh one and every batch that was in flight is sent
again: a message is never returned unscanned. Workers start with the "spawn" method, which
is safe in a process with threads (the server has them).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import os
import pathlib
from concurrent.futures.process import BrokenProcessPool

from detectors.config import DetectionConfig, load_detection_config
from detectors.engine import DetectItem, Detector, TextTooLongError
from detectors.findings import Finding, KnownCustomer
from detectors.text import SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)

MAX_BATCH = 32
MAX_ATTEMPTS = 3

_worker_detector: Detector | None = None


def _init_worker(config_dir: str) -> None:
    global _worker_detector  # one detector per worker process, by design
    _worker_detector = Detector(load_detection_config(pathlib.Path(config_dir)))


def _worker_detect(items: list[DetectItem]) -> list[list[Finding]]:
    if _worker_detector is None:
        raise RuntimeError("worker initializer did not run")
    return _worker_detector.detect_batch(items)


def _worker_pid() -> int:
    return os.getpid()


def _submit(
    executor: concurrent.futures.ProcessPoolExecutor, items: list[DetectItem]
) -> concurrent.futures.Future[list[list[Finding]]]:
    return executor.submit(_worker_detect, items)


class DetectionUnavailableError(RuntimeError):
    """Detection failed even after replacing the workers; the message must not pass."""


class DetectorPool:
    def __init__(self, config_dir: pathlib.Path, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._config_dir = config_dir
        self._workers = workers
        self._config: DetectionConfig | None = None
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._queue: asyncio.Queue[tuple[DetectItem, asyncio.Future[list[Finding]]]] = (
            asyncio.Queue()
        )
        self._dispatcher: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(workers)
        self._replace_lock = asyncio.Lock()
        self.restarts = 0

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(str(self._config_dir),),
        )

    async def start(self) -> None:
        """Load the config (fail fast), start the workers and wait until all are ready."""
        self._config = await asyncio.to_thread(load_detection_config, self._config_dir)
        self._executor = await asyncio.to_thread(self._new_executor)
        await self._warm_up(self._executor)
        self._dispatcher = asyncio.create_task(self._dispatch(), name="detector-dispatch")

    async def _warm_up(self, executor: concurrent.futures.ProcessPoolExecutor) -> None:
        futures = [
            await asyncio.to_thread(_submit, executor, [("", None, None)])
            for _ in range(self._workers)
        ]
        await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))

    async def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
            self._dispatcher = None
        for task in list(self._in_flight):
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        while not self._queue.empty():
            _item, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(DetectionUnavailableError("detector pool closed"))
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, True, cancel_futures=True)

    async def worker_pids(self) -> list[int]:
        """Process ids of the current workers (for operations and tests)."""
        executor = self._require_executor()
        futures = [
            await asyncio.to_thread(executor.submit, _worker_pid) for _ in range(self._workers)
        ]
        await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
        return sorted(set(executor._processes))  # no public accessor exists

    def _require_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._executor is None or self._config is None:
            raise RuntimeError("DetectorPool.start() has not been awaited")
        return self._executor

    async def detect(
        self, text: str, language: str | None = None, known: KnownCustomer | None = None
    ) -> list[Finding]:
        """Findings for one message, computed in a worker process."""
        self._require_executor()
        if self._config is None:
            raise RuntimeError("DetectorPool.start() has not been awaited")
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        if language is not None and language not in SUPPORTED_LANGUAGES:
            raise ValueError(f"unsupported language {language!r}; use one of en, zh")
        limit = self._config.detection.engine.max_text_chars
        if len(text) > limit:
            raise TextTooLongError(f"text longer than {limit} characters")
        future: asyncio.Future[list[Finding]] = asyncio.get_running_loop().create_future()
        await self._queue.put(((text, language, known), future))
        return await future

    async def _dispatch(self) -> None:
        while True:
            batch = [await self._queue.get()]
            await self._slots.acquire()
            while not self._queue.empty() and len(batch) < MAX_BATCH:
                batch.append(self._queue.get_nowait())
            task = asyncio.create_task(self._run_batch(batch))
            self._in_flight.add(task)
            task.add_done_callback(self._batch_done)

    def _batch_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._slots.release()

    async def _run_batch(
        self, batch: list[tuple[DetectItem, asyncio.Future[list[Finding]]]]
    ) -> None:
        items = [item for item, _future in batch]
        error: BaseException | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            executor = self._require_executor()
            try:
                submitted = await asyncio.to_thread(_submit, executor, items)
                results = await asyncio.wrap_future(submitted)
            except BrokenProcessPool as broken:
                error = broken
                logger.warning("detector worker died (attempt %d); replacing workers", attempt)
                await self._replace(executor)
                continue
            except Exception as failure:  # handed to every waiting caller
                error = failure
                break
            for (_item, future), findings in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(findings)
            return
        for _item, future in batch:
            if not future.done():
                future.set_exception(DetectionUnavailableError(f"detection failed: {error!r}"))

    async def _replace(self, broken: concurrent.futures.ProcessPoolExecutor) -> None:
        async with self._replace_lock:
            if self._executor is not broken:
                return  # another batch already replaced it
            fresh = await asyncio.to_thread(self._new_executor)
            self._executor = fresh
            self.restarts += 1
            await asyncio.to_thread(broken.shutdown, False, cancel_futures=True)
