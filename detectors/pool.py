"""Async detection for the server: worker processes, never detection on the event loop.

Each worker process builds one ``Detector`` when it starts (about 3 s) and then serves one
job at a time over a pair of pipes of its own: the event loop writes a request and reads the
answer through asyncio's pipe transports, with no thread between them (a
``ProcessPoolExecutor`` put a manager and a feeder thread there, and most of a message's
detection time went to handing it between threads).

Concurrent ``detect`` calls are queued and dispatched in batches (up to ``MAX_BATCH``
messages, one job per worker), so busy periods get spaCy's ``nlp.pipe`` batching for free
and quiet periods get one-message latency. The queue is fair between owners (the server
passes the customer): a batch takes waiting messages round-robin, one owner's at a time,
and an owner with ``queued_per_owner`` messages waiting waits for room before queueing
more, so one customer's backlog neither grows without bound nor delays another's message
by more than one batch. If a worker dies, its pipe ends; it is replaced
by a fresh one and its batch is sent again: a message is never returned unscanned. Workers
start with the "spawn" method, which is safe in a process with threads (the server has
them). A worker whose server has gone without closing the pool (killed, out of memory) sees
its request pipe end, or its parent change, and ends itself.

Documents (pictures, PDFs, text files: ``scan_document``, ``redact_image``) run in the same
workers. Text batches go first: a free worker goes to a waiting text batch before any
document, and documents occupy at most ``workers - 1`` workers (one, with a single
worker). A document job that outlives its limit plus a grace period is answered with
``DocumentTimeoutError`` and its worker is killed and replaced.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import gc
import logging
import multiprocessing
import os
import pathlib
import pickle
import shutil
import signal
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, cast

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
# A document whose worker died is read once more (the death may have been another cause's).
MAX_DOCUMENT_ATTEMPTS = 2
PARENT_CHECK_SECS = 1.0  # how often a busy worker checks that the server still runs
STOP_GRACE_SECS = 5.0  # a worker told to stop (its pipe closed) gets this long, then SIGKILL

# Every frame on a worker's pipes: an 8-byte big-endian length, then a pickle.
_HEADER = struct.Struct("!Q")

_worker_detector: Detector | None = None


# --- inside a worker process ------------------------------------------------------------


def _worker_main(
    config_dir: str, scratch_dir: str, parent_pid: int, requests: Connection, replies: Connection
) -> None:
    """A worker's whole life: load the detector, say so, then answer requests until the
    request pipe ends. Requests are ``(function, args)``; answers ``(True, result)`` or
    ``(False, exception)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when workers stop
    in_fd, out_fd = requests.fileno(), replies.fileno()
    try:
        _init_worker(config_dir, scratch_dir, parent_pid)
        _require_detector().detect_batch([("", None, None)])  # warm up spaCy
    except Exception as error:
        _write_frame(out_fd, _outcome(False, error))
        return
    # The models (spaCy, Presidio, jieba: ~116,000 objects) live as long as the worker: no
    # collection walks them again (a full one took ~230 ms on 2 busy cores, and a message
    # waiting for this worker waited that long too).
    gc.collect()
    gc.freeze()
    _write_frame(out_fd, _outcome(True, os.getpid()))
    while (request := _read_frame(in_fd)) is not None:
        try:
            function, args = pickle.loads(request)  # noqa: S301  # our own server's pipe
            answer = _outcome(True, function(*args))
        except Exception as error:  # handed to the caller, whatever it was
            answer = _outcome(False, error)
        _write_frame(out_fd, answer)
    shutil.rmtree(scratch_dir, ignore_errors=True)


def _outcome(ok: bool, value: object) -> bytes:
    try:
        return pickle.dumps((ok, value), pickle.HIGHEST_PROTOCOL)
    except Exception as error:  # an answer that cannot cross the pipe is a failure
        failure = RuntimeError(f"{type(value).__name__} could not be sent back ({error!r})")
        return pickle.dumps((False, failure), pickle.HIGHEST_PROTOCOL)


def _read_frame(fd: int) -> bytes | None:
    """One frame, or None when the pipe has ended."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    return _read_exactly(fd, size)


def _read_exactly(fd: int, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, min(size - len(data), 1 << 20))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _write_frame(fd: int, payload: bytes) -> None:
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    while view:
        view = view[os.write(fd, view) :]


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
    """End this worker once the server that started it has gone (killed, out of memory)
    while the worker is busy (an idle one sees its request pipe end): each worker holds a
    detector's worth of memory. The scratch directory goes too: it may hold document text."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECS)
    shutil.rmtree(scratch_dir, ignore_errors=True)
    os._exit(0)


def _require_detector() -> Detector:
    if _worker_detector is None:
        raise RuntimeError("worker initializer did not run")
    return _worker_detector


def _worker_detect(items: list[DetectItem]) -> list[list[Finding] | ValueError]:
    """Findings of each item. A text the detector refuses (``PatternTimeoutError``: a pattern
    ran out of time on it) gets its own error; the batch's other messages are read one at a
    time and get their findings, so one hostile message refuses no one else's."""
    detector = _require_detector()
    try:
        return list(detector.detect_batch(items))
    except ValueError as error:
        if len(items) == 1:
            return [error]
    outcomes: list[list[Finding] | ValueError] = []
    for item in items:
        try:
            outcomes.append(detector.detect_batch([item])[0])
        except ValueError as error:
            outcomes.append(error)
    return outcomes


def _worker_scan_document(kind: DocumentKind, data: bytes, language: str | None) -> DocumentScan:
    return documents.scan_document(_require_detector(), kind, data, language)


def _worker_redact_image(data: bytes, boxes: list[Box], image_format: ImageFormat) -> bytes:
    config = _require_detector().config.detection.documents
    return documents.redact_image(data, boxes, image_format, config)


# --- in the server ----------------------------------------------------------------------


def _kill_tree(pid: int) -> None:
    """SIGKILL a worker and its children (a Tesseract it is waiting for)."""
    children: list[int] = []
    with contextlib.suppress(OSError):
        for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
            children += [int(c) for c in (task / "children").read_text().split()]
    for target in [*children, pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signal.SIGKILL)


def _consume[T](job: asyncio.Future[T]) -> None:
    """Mark a job's outcome as seen (it may end after its caller gave up)."""
    if not job.cancelled():
        job.exception()


class DetectionUnavailableError(RuntimeError):
    """Detection failed even after replacing the workers; the message must not pass."""


class TextRefusedError(DetectionUnavailableError):
    """The detector refused this text (a pattern ran out of time on it): the message must
    not pass, and sending the same text again will be refused again."""


class _WorkerDiedError(Exception):
    """The worker's pipe ended before it answered."""


def _start_process(
    config_dir: pathlib.Path, parent_pid: int
) -> tuple[BaseProcess, Connection, Connection, str]:
    """Start one worker process (blocking: spawn execs a fresh interpreter)."""
    context = multiprocessing.get_context("spawn")
    scratch = tempfile.mkdtemp(prefix="detector-scratch-")  # mode 0700
    requests_in, requests_out = context.Pipe(duplex=False)
    replies_in, replies_out = context.Pipe(duplex=False)
    process = context.Process(
        target=_worker_main,
        args=(str(config_dir), scratch, parent_pid, requests_in, replies_out),
        name="detector-worker",
        daemon=True,
    )
    try:
        process.start()
    except BaseException:
        for end in (requests_out, replies_in):
            end.close()
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    finally:
        requests_in.close()  # the worker's ends: only the worker may hold them, so that
        replies_out.close()  # each side sees the other's end of file
    return process, requests_out, replies_in, scratch


class _Replies(asyncio.Protocol):
    """Reads a worker's answer frames off its reply pipe."""

    def __init__(self, worker: _Worker) -> None:
        self._worker = worker
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._buffer)
            end = _HEADER.size + size
            if len(self._buffer) < end:
                return
            frame = bytes(self._buffer[_HEADER.size : end])
            del self._buffer[:end]
            self._worker.answered(frame)

    def eof_received(self) -> bool:
        self._worker.lost()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._worker.lost()


class _Requests(asyncio.Protocol):
    """The write side of a worker's request pipe: it ends when the worker has gone."""

    def __init__(self, worker: _Worker) -> None:
        self._worker = worker

    def connection_lost(self, exc: Exception | None) -> None:
        self._worker.lost()


class _Worker:
    """One worker process and its two pipes; one job at a time."""

    def __init__(self, process: BaseProcess, scratch: str) -> None:
        self.process = process
        self.pid = cast(int, process.pid)
        self.scratch = scratch
        self.dead = False
        self._requests: asyncio.WriteTransport | None = None
        self._replies: asyncio.ReadTransport | None = None
        # The job in flight; the first one is the worker's "ready".
        self._ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._ready.add_done_callback(_consume)
        self._job: asyncio.Future[Any] | None = self._ready

    async def connect(self, requests: Connection, replies: Connection) -> None:
        loop = asyncio.get_running_loop()
        self._requests, _ = await loop.connect_write_pipe(lambda: _Requests(self), requests)
        self._replies, _ = await loop.connect_read_pipe(lambda: _Replies(self), replies)

    async def ready(self) -> None:
        await self._ready

    @property
    def busy(self) -> bool:
        return self._job is not None

    def call(self, function: Callable[..., Any], *args: object) -> asyncio.Future[Any]:
        """Send one job; the future holds its answer (``_WorkerDiedError`` if it dies)."""
        if self._job is not None:
            raise RuntimeError("worker already has a job")
        job: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        job.add_done_callback(_consume)
        if self.dead or self._requests is None:
            job.set_exception(_WorkerDiedError(f"detection worker {self.pid} has gone"))
            return job
        payload = pickle.dumps((function, args), pickle.HIGHEST_PROTOCOL)
        self._job = job
        self._requests.write(_HEADER.pack(len(payload)) + payload)
        return job

    def answered(self, frame: bytes) -> None:
        job, self._job = self._job, None
        if job is None or job.done():
            return
        try:
            ok, value = pickle.loads(frame)  # noqa: S301  # from our own worker's pipe
        except Exception as error:
            job.set_exception(RuntimeError(f"unreadable answer from a worker ({error!r})"))
            return
        if ok:
            job.set_result(value)
        else:
            job.set_exception(value)

    def lost(self) -> None:
        if self.dead:
            return
        self.dead = True
        job, self._job = self._job, None
        if job is not None and not job.done():
            job.set_exception(_WorkerDiedError(f"detection worker {self.pid} died"))
        for transport in (self._requests, self._replies):
            if transport is not None:
                transport.close()

    async def stop(self, kill: bool) -> None:
        """End the process (closing its request pipe asks it to; ``kill`` does not ask)
        and remove its scratch directory: Tesseract's files, which hold document text."""
        self.lost()
        if kill:
            await asyncio.to_thread(_kill_tree, self.pid)
        await asyncio.to_thread(self.process.join, STOP_GRACE_SECS)
        if self.process.exitcode is None:
            await asyncio.to_thread(_kill_tree, self.pid)
            await asyncio.to_thread(self.process.join)
        with contextlib.suppress(ValueError):
            self.process.close()
        await asyncio.to_thread(shutil.rmtree, self.scratch, True)


class _FairQueue[T]:
    """Waiting jobs by owner, taken round-robin: ``pop`` takes the first owner's oldest job
    and moves that owner behind the others. ``put`` waits while its owner already has
    ``per_owner`` jobs waiting (back-pressure on that owner alone)."""

    def __init__(self, per_owner: int) -> None:
        if per_owner < 1:
            raise ValueError("per_owner must be at least 1")
        self._per_owner = per_owner
        self._queues: collections.OrderedDict[str, collections.deque[T]] = collections.OrderedDict()
        self._room: dict[str, collections.deque[asyncio.Future[None]]] = {}
        self._getter: asyncio.Future[None] | None = None
        self._size = 0
        self._closed = False

    def __len__(self) -> int:
        return self._size

    def waiting(self, owner: str) -> int:
        return len(self._queues.get(owner, ()))

    async def put(self, owner: str, item: T) -> None:
        while not self._closed and self.waiting(owner) >= self._per_owner:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            waiters = self._room.setdefault(owner, collections.deque())
            waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._make_room(owner)  # pass on a turn this caller will not use
                raise
            finally:
                with contextlib.suppress(ValueError):
                    waiters.remove(waiter)
                if not waiters and self._room.get(owner) is waiters:
                    del self._room[owner]
        if self._closed:
            raise DetectionUnavailableError("detector pool closed")
        self._queues.setdefault(owner, collections.deque()).append(item)
        self._size += 1
        if self._getter is not None and not self._getter.done():
            self._getter.set_result(None)

    async def wait(self) -> None:
        """Until at least one job is waiting."""
        while not self._size:
            self._getter = asyncio.get_running_loop().create_future()
            await self._getter

    def pop(self) -> T:
        owner, queue = next(iter(self._queues.items()))
        item = queue.popleft()
        self._size -= 1
        if queue:
            self._queues.move_to_end(owner)
        else:
            del self._queues[owner]
        self._make_room(owner)
        return item

    def _make_room(self, owner: str) -> None:
        for waiter in self._room.get(owner, ()):
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> list[T]:
        """Everything still waiting; callers waiting for room get DetectionUnavailableError."""
        self._closed = True
        for waiters in self._room.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)  # they see the queue closed
        left: list[T] = []
        while self._size:
            left.append(self.pop())
        return left


class _Slots[T]:
    """The idle workers, handed out in order of need: a free worker goes to a waiting text
    batch before any document, and documents hold at most ``document_limit`` workers at a
    time. A worker is handed back with ``release`` (a fresh one, if it was replaced)."""

    def __init__(self, idle: Iterable[T], document_limit: int) -> None:
        self._idle = collections.deque(idle)
        self._document_limit = document_limit
        self._documents = 0
        self._waiters: dict[bool, collections.deque[asyncio.Future[T]]] = {
            False: collections.deque(),
            True: collections.deque(),
        }
        self._closed = False

    async def acquire(self, document: bool) -> T:
        if self._closed:
            raise DetectionUnavailableError("detector pool closed")
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiters[document].append(waiter)
        self._wake()
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release(waiter.result(), document)  # granted, then cancelled unused
            raise

    @property
    def documents_busy(self) -> int:
        return self._documents

    def release(self, item: T, document: bool) -> None:
        if self._closed:
            return
        self._idle.append(item)
        if document:
            self._documents -= 1
        self._wake()

    def _next(self, document: bool) -> asyncio.Future[T] | None:
        queue = self._waiters[document]
        while queue:
            waiter = queue.popleft()
            if not waiter.done():
                return waiter
        return None

    def _wake(self) -> None:
        while self._idle:
            waiter = self._next(False)
            if waiter is None and self._documents < self._document_limit:
                waiter = self._next(True)
                if waiter is not None:
                    self._documents += 1
            if waiter is None:
                return
            waiter.set_result(self._idle.popleft())

    def close(self) -> None:
        self._closed = True
        self._idle.clear()
        for queue in self._waiters.values():
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_exception(DetectionUnavailableError("detector pool closed"))


class DetectorPool:
    def __init__(
        self, config_dir: pathlib.Path, workers: int, *, queued_per_owner: int = 16
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._config_dir = config_dir
        self._size = workers
        self._config: DetectionConfig | None = None
        self._workers: list[_Worker] = []  # every worker, busy or not
        self._queue: _FairQueue[tuple[DetectItem, asyncio.Future[list[Finding]]]] = _FairQueue(
            queued_per_owner
        )
        self._dispatcher: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots: _Slots[_Worker] = _Slots((), max(1, workers - 1))
        self._closed = False
        self.restarts = 0
        # Counters for operations: completed document jobs by kind ("image", "pdf", "text",
        # "redaction"); failures by reason ("unreadable", "timeout": the worker's own limit,
        # "stuck": the pool's hard limit, worker replaced; "worker_died").
        self.document_jobs: collections.Counter[str] = collections.Counter()
        self.document_failures: collections.Counter[str] = collections.Counter()

    async def _spawn(self) -> _Worker:
        """A new worker, ready to serve; a worker that fails to start is stopped."""
        process, requests, replies, scratch = await asyncio.to_thread(
            _start_process, self._config_dir, os.getpid()
        )
        worker = _Worker(process, scratch)
        try:
            await worker.connect(requests, replies)
            await worker.ready()
        except BaseException as error:
            await asyncio.shield(worker.stop(kill=True))
            requests.close()  # already closed by their transports, if those were made
            replies.close()
            if isinstance(error, _WorkerDiedError):
                raise DetectionUnavailableError("a detection worker died while starting") from None
            raise
        return worker

    async def start(self) -> None:
        """Load the config (fail fast), start the workers and wait until all are ready."""
        self._config = await asyncio.to_thread(load_detection_config, self._config_dir)
        started = await asyncio.gather(
            *(self._spawn() for _ in range(self._size)), return_exceptions=True
        )
        self._workers = [w for w in started if isinstance(w, _Worker)]
        failures = [f for f in started if not isinstance(f, _Worker)]
        if failures:
            await self.close()
            raise failures[0]
        self._slots = _Slots(self._workers, max(1, self._size - 1))
        self._dispatcher = asyncio.create_task(self._dispatch(), name="detector-dispatch")

    async def close(self) -> None:
        self._closed = True
        self._slots.close()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
            self._dispatcher = None
        for task in list(self._in_flight):
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        for _item, future in self._queue.close():
            if not future.done():
                future.set_exception(DetectionUnavailableError("detector pool closed"))
        workers, self._workers = self._workers, []
        # A worker still busy may be stuck in C code (a document): kill it, do not wait.
        await asyncio.gather(*(w.stop(kill=w.busy) for w in workers))

    async def worker_pids(self) -> list[int]:
        """Process ids of the current workers (for operations and tests)."""
        self._require_config()
        return sorted(w.pid for w in self._workers)

    def _require_config(self) -> DetectionConfig:
        if self._config is None or self._closed:
            raise RuntimeError("DetectorPool is not started (or is closed)")
        return self._config

    async def detect(
        self,
        text: str,
        language: str | None = None,
        known: KnownCustomer | None = None,
        *,
        owner: str = "",
    ) -> list[Finding]:
        """Findings for one message, computed in a worker process. ``owner`` (the server
        passes its customer) is whose turn it takes in the fair queue."""
        config = self._require_config()
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        if language is not None and language not in SUPPORTED_LANGUAGES:
            raise ValueError(f"unsupported language {language!r}; use one of en, zh")
        limit = config.detection.engine.max_text_chars
        if len(text) > limit:
            raise TextTooLongError(f"text longer than {limit} characters")
        future: asyncio.Future[list[Finding]] = asyncio.get_running_loop().create_future()
        await self._queue.put(owner, ((text, language, known), future))
        return await future

    def _returned(self, worker: _Worker, _job: asyncio.Future[Any]) -> None:
        self._slots.release(worker, document=True)

    async def _replace(self, worker: _Worker, kill: bool = False) -> _Worker:
        """Stop a worker (killing it if asked: it is stuck) and start a fresh one in its
        place; if none can start, the old one stays in place, marked dead."""
        await worker.stop(kill)
        fresh = await self._spawn()
        if self._closed:
            await fresh.stop(kill=False)
            raise DetectionUnavailableError("detector pool closed")
        self._workers[self._workers.index(worker)] = fresh
        self.restarts += 1
        return fresh

    async def _dispatch(self) -> None:
        while True:
            await self._queue.wait()
            worker = await self._slots.acquire(document=False)
            batch = [self._queue.pop()]
            while self._queue and len(batch) < MAX_BATCH:
                batch.append(self._queue.pop())
            task = asyncio.create_task(self._run_batch(worker, batch))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _run_batch(
        self, worker: _Worker, batch: list[tuple[DetectItem, asyncio.Future[list[Finding]]]]
    ) -> None:
        items = [item for item, _future in batch]
        error: BaseException | None = None
        try:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    if worker.dead:
                        worker = await self._replace(worker)
                    results = await worker.call(_worker_detect, items)
                except _WorkerDiedError as died:
                    error = died
                    logger.warning("detector worker died (attempt %d); replacing it", attempt)
                    continue
                except Exception as failure:  # handed to every waiting caller
                    error = failure
                    break
                for (_item, future), outcome in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(outcome, Exception):  # this text refused: never passed
                        future.set_exception(TextRefusedError(f"detection failed: {outcome!r}"))
                    else:
                        future.set_result(outcome)
                return
            for _item, future in batch:
                if not future.done():
                    future.set_exception(DetectionUnavailableError(f"detection failed: {error!r}"))
        finally:
            self._slots.release(worker, document=False)

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
        """One document job on a worker, with the pool's hard time limit."""
        config = self._require_config().detection.documents
        limit = config.read_timeout_secs + config.hang_grace_secs
        worker = await self._slots.acquire(document=True)
        give_back = True
        try:
            for attempt in range(1, MAX_DOCUMENT_ATTEMPTS + 1):
                try:
                    if worker.dead:
                        worker = await self._replace(worker)
                    job = worker.call(function, *args)
                    try:
                        result: T = await asyncio.wait_for(asyncio.shield(job), limit)
                    except asyncio.CancelledError:
                        # The caller is gone but the worker is still busy: it is given
                        # back when the job ends (or the worker dies).
                        give_back = False
                        job.add_done_callback(functools.partial(self._returned, worker))
                        raise
                except TimeoutError:
                    self.document_failures["stuck"] += 1
                    logger.warning("document job over %.0f s; replacing its worker", limit)
                    worker = await self._replace(worker, kill=True)
                    raise DocumentTimeoutError(
                        f"document not read within {limit:.0f} s; worker replaced"
                    ) from None
                except _WorkerDiedError:
                    logger.warning("detector worker died (document attempt %d)", attempt)
                    continue
                except DocumentTimeoutError:
                    self.document_failures["timeout"] += 1
                    raise
                except DocumentUnreadableError:
                    self.document_failures["unreadable"] += 1
                    raise
                except DetectionUnavailableError:
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
            if give_back:
                self._slots.release(worker, document=True)
