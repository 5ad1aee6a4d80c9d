"""Async detection for the server: a process pool, never detection on the event loop.

Each worker process builds one ``Detector`` in its initializer (about 3 s) and then serves
batches. Concurrent ``detect`` calls are queued and dispatched in batches (up to
``MAX_BATCH`` messages, one batch in flight per worker), so busy periods get spaCy's
``nlp.pipe`` batching for free and quiet periods get one-message latency. If a worker dies
the pool breaks; it is replaced by a fresh one and every batch that was in flight is sent
again: a message is never returned unscanned. Workers start with the "spawn" method, which
is safe in a process with threads (the server has them). A worker whose server has gone
without closing the pool (killed, out of memory) ends itself within about a second.

Documents (pictures, PDFs, text files: ``scan_document``, ``redact_image``) run in the same
workers. Text batches go first: a free worker goes to a waiting text batch before any
document, and documents occupy at most ``workers - 1`` workers (one, with a single
worker). A document job that outlives its limit plus a grace period is answered with
``DocumentTimeoutError`` and the workers are replaced, the stuck one killed; text batches
that were in flight are sent again.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import pathlib
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool

from detectors import documents
from detectors.config import DetectionConfig, load_detection_config
from detectors.documents import (
    Box,
    DocumentKind,
    DocumentScan,
    DocumentTimeoutError,
    DocumentUnreadableError,
    ImageFormat,
)
from detectors.engine import DetectItem, Detector, TextTooLongError
from detectors.findings import Finding, KnownCustomer
from detectors.text import SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)

MAX_BATCH = 32
MAX_ATTEMPTS = 3
# A document whose worker died is read once more (the death may have been another job's).
MAX_DOCUMENT_ATTEMPTS = 2
PARENT_CHECK_SECS = 1.0  # how often a worker checks that the server still runs

_worker_detector: Detector | None = None


def _init_worker(config_dir: str, scratch_dir: str, parent_pid: int) -> None:
    global _worker_detector  # one detector per worker process, by design
    threading.Thread(
        target=_exit_when_orphaned,
        args=(parent_pid, scratch_dir),
        name="parent-watch",
        daemon=True,
    ).start()
    config = load_detection_config(pathlib.Path(config_dir))
    _worker_detector = Detector(config)  # jieba's cache stays in the usual temp dir
    documents.prepare_worker(config.detection.documents, scratch_dir)


def _exit_when_orphaned(parent_pid: int, scratch_dir: str) -> None:
    """End this worker once the server that started it has gone (killed, out of memory):
    nothing else would, and each worker holds a detector's worth of memory. The scratch
    directory goes too (the pool's own cleanup never ran): it may hold document text."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECS)
    shutil.rmtree(scratch_dir, ignore_errors=True)
    os._exit(0)


def _require_detector() -> Detector:
    if _worker_detector is None:
        raise RuntimeError("worker initializer did not run")
    return _worker_detector


def _worker_detect(items: list[DetectItem]) -> list[list[Finding]]:
    return _require_detector().detect_batch(items)


def _worker_scan_document(kind: DocumentKind, data: bytes, language: str | None) -> DocumentScan:
    return documents.scan_document(_require_detector(), kind, data, language)


def _worker_redact_image(data: bytes, boxes: list[Box], image_format: ImageFormat) -> bytes:
    config = _require_detector().config.detection.documents
    return documents.redact_image(data, boxes, image_format, config)


def _worker_pid() -> int:
    return os.getpid()


def _submit(
    executor: concurrent.futures.ProcessPoolExecutor, items: list[DetectItem]
) -> concurrent.futures.Future[list[list[Finding]]]:
    return executor.submit(_worker_detect, items)


def _kill_tree(pid: int) -> None:
    """SIGKILL a worker and its children (a Tesseract it is waiting for)."""
    children: list[int] = []
    with contextlib.suppress(OSError):
        for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
            children += [int(c) for c in (task / "children").read_text().split()]
    for target in [*children, pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signal.SIGKILL)


def _retire(
    executor: concurrent.futures.ProcessPoolExecutor, scratch: str | None, kill: bool, wait: bool
) -> None:
    """Shut an executor down (killing its workers first if asked), then remove its scratch
    directory: Tesseract's input copies and output, which hold document text."""
    if kill:
        for pid in list(executor._processes or {}):  # no public accessor exists
            _kill_tree(pid)
    executor.shutdown(wait=wait, cancel_futures=True)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def _consume[T](job: asyncio.Future[T]) -> None:
    """Mark a document job's outcome as seen (it may end after its caller gave up)."""
    if not job.cancelled():
        job.exception()


class DetectionUnavailableError(RuntimeError):
    """Detection failed even after replacing the workers; the message must not pass."""


class _Slots:
    """Worker slots: a free slot goes to a waiting text batch before any document, and
    documents hold at most ``document_limit`` slots at a time."""

    def __init__(self, total: int, document_limit: int) -> None:
        self._free = total
        self._document_limit = document_limit
        self._documents = 0
        self._waiters: dict[bool, collections.deque[asyncio.Future[None]]] = {
            False: collections.deque(),
            True: collections.deque(),
        }
        self._closed = False

    async def acquire(self, document: bool) -> None:
        if self._closed:
            raise DetectionUnavailableError("detector pool closed")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[document].append(waiter)
        self._wake()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release(document)  # granted, then cancelled before it was used
            raise

    @property
    def documents_busy(self) -> int:
        return self._documents

    def release(self, document: bool) -> None:
        self._free += 1
        if document:
            self._documents -= 1
        self._wake()

    def _next(self, document: bool) -> asyncio.Future[None] | None:
        queue = self._waiters[document]
        while queue:
            waiter = queue.popleft()
            if not waiter.done():
                return waiter
        return None

    def _wake(self) -> None:
        while self._free > 0:
            waiter = self._next(False)
            if waiter is None and self._documents < self._document_limit:
                waiter = self._next(True)
                if waiter is not None:
                    self._documents += 1
            if waiter is None:
                return
            self._free -= 1
            waiter.set_result(None)

    def close(self) -> None:
        self._closed = True
        for queue in self._waiters.values():
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_exception(DetectionUnavailableError("detector pool closed"))


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
        self._slots = _Slots(workers, max(1, workers - 1))
        self._replace_lock = asyncio.Lock()
        self._scratch: dict[concurrent.futures.ProcessPoolExecutor, str] = {}
        self.restarts = 0
        # Counters for operations: completed document jobs by kind ("image", "pdf", "text",
        # "redaction"); failures by reason ("unreadable", "timeout": the worker's own limit,
        # "stuck": the pool's hard limit, workers replaced; "worker_died").
        self.document_jobs: collections.Counter[str] = collections.Counter()
        self.document_failures: collections.Counter[str] = collections.Counter()

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        scratch = tempfile.mkdtemp(prefix="detector-scratch-")  # mode 0700
        executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(str(self._config_dir), scratch, os.getpid()),
        )
        self._scratch[executor] = scratch
        return executor

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
        self._slots.close()
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
            # A document job may be stuck in C code: kill rather than wait for it.
            busy = self._slots.documents_busy > 0
            scratch = self._scratch.pop(executor, None)
            await asyncio.to_thread(_retire, executor, scratch, busy, not busy)

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

    def _require_config(self) -> DetectionConfig:
        if self._config is None:
            raise RuntimeError("DetectorPool.start() has not been awaited")
        return self._config

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
            await self._slots.acquire(document=False)
            while not self._queue.empty() and len(batch) < MAX_BATCH:
                batch.append(self._queue.get_nowait())
            task = asyncio.create_task(self._run_batch(batch))
            self._in_flight.add(task)
            task.add_done_callback(self._batch_done)

    def _batch_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._slots.release(document=False)

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

    async def _replace(
        self, broken: concurrent.futures.ProcessPoolExecutor, kill: bool = False
    ) -> None:
        """Swap in fresh workers; with ``kill``, also kill the old ones (one is stuck: its
        in-flight text batches then fail with BrokenProcessPool and are sent again)."""
        async with self._replace_lock:
            if self._executor is broken:
                self._executor = await asyncio.to_thread(self._new_executor)
                self.restarts += 1
            elif not kill:
                return  # another batch already replaced it
            scratch = self._scratch.pop(broken, None)
            await asyncio.to_thread(_retire, broken, scratch, kill, False)

    async def scan_document(
        self, kind: DocumentKind, data: bytes, *, language: str | None = None
    ) -> DocumentScan:
        """Text of a picture (OCR), PDF or UTF-8 text file, and the findings in it.

        Raises ``DocumentUnreadableError`` (``DocumentTimeoutError`` past the time limit) when
        the document cannot be read completely: the caller holds the attachment."""
        if kind not in documents.DOCUMENT_KINDS:
            raise ValueError(f"unknown document kind {kind!r}")
        if not isinstance(data, bytes):
            raise TypeError("data must be bytes")
        if language is not None and language not in SUPPORTED_LANGUAGES:
            raise ValueError(f"unsupported language {language!r}; use one of en, zh")
        return await self._run_document(kind, _worker_scan_document, kind, data, language)

    async def redact_image(
        self, data: bytes, boxes: Sequence[Box], *, image_format: ImageFormat
    ) -> bytes:
        """The picture with black rectangles (plus the configured margin) over ``boxes``,
        re-encoded as ``image_format`` with no metadata (no EXIF, XMP, ICC or comments)."""
        if image_format not in documents.IMAGE_FORMATS:
            raise ValueError(f"unsupported image format {image_format!r}")
        if not isinstance(data, bytes):
            raise TypeError("data must be bytes")
        for box in boxes:
            if box.page != 1 or box.width < 0 or box.height < 0:
                raise ValueError(f"not a box of a single-page picture: {box}")
        return await self._run_document(
            "redaction", _worker_redact_image, data, list(boxes), image_format
        )

    async def _run_document[T](self, label: str, function: Callable[..., T], *args: object) -> T:
        """One document job on a worker slot, with the pool's hard time limit."""
        config = self._require_config().detection.documents
        limit = config.read_timeout_secs + config.hang_grace_secs
        await self._slots.acquire(document=True)
        release_slot = True
        try:
            for attempt in range(1, MAX_DOCUMENT_ATTEMPTS + 1):
                executor = self._require_executor()
                try:
                    submitted = await asyncio.to_thread(executor.submit, function, *args)
                    job = asyncio.wrap_future(submitted)
                    job.add_done_callback(_consume)
                    try:
                        result = await asyncio.wait_for(asyncio.shield(job), limit)
                    except asyncio.CancelledError:
                        # The caller is gone but the worker is still busy: the slot is
                        # freed when the job ends (or its worker is replaced).
                        release_slot = False
                        job.add_done_callback(lambda _job: self._slots.release(document=True))
                        raise
                except TimeoutError:
                    self.document_failures["stuck"] += 1
                    logger.warning("document job over %.0f s; replacing workers", limit)
                    await self._replace(executor, kill=True)
                    raise DocumentTimeoutError(
                        f"document not read within {limit:.0f} s; worker replaced"
                    ) from None
                except BrokenProcessPool:
                    logger.warning("detector worker died (document attempt %d)", attempt)
                    await self._replace(executor)
                    continue
                except DocumentTimeoutError:
                    self.document_failures["timeout"] += 1
                    raise
                except DocumentUnreadableError:
                    self.document_failures["unreadable"] += 1
                    raise
                except Exception as error:  # fail closed, whatever it was
                    self.document_failures["unreadable"] += 1
                    raise DocumentUnreadableError(
                        f"document could not be scanned ({type(error).__name__})"
                    ) from None
                self.document_jobs[label] += 1
                return result
            self.document_failures["worker_died"] += 1
            raise DocumentUnreadableError("detection worker died while reading the document")
        finally:
            if release_slot:
                self._slots.release(document=True)
