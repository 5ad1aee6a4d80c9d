"""Starts, watches and restarts the embedded store's child process, or attaches to one.

The child's URI is written to `<data dir>/store.uri` while it runs so operators (and the
CLI's data commands) can attach a MongoDB client to it. If the child dies, the supervisor
logs why, marks the store unhealthy and restarts it on the same port, so the service's
driver reconnects by itself.

One store per data directory. The process that starts it (its *owner*: `chat-service store`
or the first `serve`) holds an exclusive `flock` on `<data dir>/store.lock` for as long as it
runs; the kernel releases it however that process ends, kill -9 included. Whoever takes the
lock owns the store: any `store.uri` left then is stale (its owner is gone) and is replaced,
on the same port when it is free, so clients still holding the old URI reconnect. A process
that finds the lock taken *attaches*: it waits for the owner's `store.uri` to answer a ping
and uses it; it never stops that store. Two processes racing on an empty directory therefore
end with one store.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECS = 60.0
STOP_TIMEOUT_SECS = 10.0
STDERR_TAIL_LINES = 20
# How the store child (embedded_server.py) reports a command that failed inside it.
INTERNAL_ERROR_PREFIX = "embedded store internal error: "
ATTACH_POLL_SECS = 0.2  # how often an attaching process looks at store.uri and the lock
ATTACH_PING_TIMEOUT_MS = 1000


class EmbeddedStoreError(RuntimeError):
    pass


class StoreAlreadyRunning(EmbeddedStoreError):
    pass


class EmbeddedStore:
    """`start()` owns the data directory's store (starts it) or, when another process owns
    it and `attach` is allowed, attaches to it; `owner` says which."""

    def __init__(
        self, data_dir: Path, *, restart_delay_secs: float = 0.5, attach: bool = True
    ) -> None:
        self.data_dir = data_dir
        self.db_path = data_dir / "store.sqlite"
        self.uri_path = data_dir / "store.uri"
        self.lock_path = data_dir / "store.lock"
        self._attach = attach
        self._lock_fd: int | None = None
        self.owner = False
        self._restart_delay = restart_delay_secs
        self._process: asyncio.subprocess.Process | None = None
        self._port = 0
        self._uri: str | None = None
        self._stop = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._stderr_tail: list[str] = []
        self.healthy = asyncio.Event()
        self.restarts = 0

    @property
    def uri(self) -> str:
        if self._uri is None:
            raise EmbeddedStoreError("the embedded store is not running")
        return self._uri

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> str:
        """Start the store (taking the lock) or attach to the one running; its URI."""
        await asyncio.to_thread(self.data_dir.mkdir, parents=True, exist_ok=True)
        fd = await asyncio.to_thread(os.open, self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        self._lock_fd = fd
        try:
            async with asyncio.timeout(STARTUP_TIMEOUT_SECS):
                while True:
                    if await asyncio.to_thread(_try_lock, fd):
                        await self._start_as_owner(fd)
                        return self.uri
                    if not self._attach:
                        raise StoreAlreadyRunning(
                            f"another process runs the store of {self.data_dir}"
                        )
                    uri = await answering_uri(self.uri_path)
                    if uri is not None:
                        self._uri = uri
                        self.healthy.set()
                        logger.info("attached to the running embedded store", extra={"uri": uri})
                        return uri
                    await asyncio.sleep(ATTACH_POLL_SECS)  # its owner is still starting it
        except TimeoutError:
            await self._abandon()
            raise EmbeddedStoreError("no embedded store answered in time") from None
        except BaseException:
            await self._abandon()
            raise

    async def _start_as_owner(self, fd: int) -> None:
        self.owner = True
        await asyncio.to_thread(_write_pid, fd)
        self._port = await asyncio.to_thread(_port_of, self.uri_path)
        try:
            await self._spawn()
        except EmbeddedStoreError:
            if self._port == 0:
                raise
            logger.warning("the stale store's port is taken; starting on another")
            self._port = 0
            await self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(), name="embedded-store-supervisor")

    async def _abandon(self) -> None:
        """Undo a start that failed or was cancelled."""
        if self.owner:
            await self.stop()
        else:
            self._release_lock()

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the only descriptor releases the flock
            self._lock_fd = None

    async def _spawn(self) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "chat_service.storage.embedded_server",
            "--path",
            str(self.db_path),
            "--port",
            str(self._port),
            "--exit-with-parent",
            # Never written to: its end of file tells the child this process has gone.
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C to the server must not kill the store first
        )
        assert process.stdout is not None  # noqa: S101  # PIPE was requested above
        self._stderr_tail = []
        stderr_task = asyncio.create_task(self._drain_stderr(process))
        try:
            async with asyncio.timeout(STARTUP_TIMEOUT_SECS):
                line = (await process.stdout.readline()).decode().strip()
        except BaseException as exc:  # too slow, or the server is stopping while it starts
            process.kill()
            await process.wait()
            _release_stdin(process)
            if isinstance(exc, TimeoutError):
                raise EmbeddedStoreError("the embedded store did not start in time") from None
            raise
        if not line.startswith("mongodb://"):
            await process.wait()
            _release_stdin(process)
            await stderr_task
            raise EmbeddedStoreError(
                "the embedded store failed to start: " + " | ".join(self._stderr_tail[-5:])
            )
        self._process = process
        self._uri = line
        self._port = int(line.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        await asyncio.to_thread(self._write_uri_file, line)
        self.healthy.set()
        logger.info("embedded store started", extra={"uri": line, "pid": process.pid})

    def _write_uri_file(self, uri: str) -> None:
        tmp = self.uri_path.with_suffix(".uri.tmp")
        tmp.write_text(uri + "\n", encoding="utf-8")
        os.replace(tmp, self.uri_path)

    async def _drain_stderr(self, process: asyncio.subprocess.Process) -> None:
        if process.stderr is None:
            return
        async for raw in process.stderr:
            line = raw.decode(errors="replace").rstrip()
            self._stderr_tail.append(line)
            del self._stderr_tail[:-STDERR_TAIL_LINES]
            if line.startswith(INTERNAL_ERROR_PREFIX):  # a command failed inside the store
                logger.error("the embedded store failed a command", extra={"store": line})

    async def _supervise(self) -> None:
        while not self._stop.is_set():
            process = self._process
            if process is None:
                return
            code = await process.wait()
            _release_stdin(process)
            if self._stop.is_set():
                return
            self.healthy.clear()
            logger.error(
                "embedded store exited unexpectedly; restarting",
                extra={"returncode": code, "stderr_tail": self._stderr_tail[-5:]},
            )
            while not self._stop.is_set():
                await asyncio.sleep(self._restart_delay)
                try:
                    await self._spawn()
                    self.restarts += 1
                    break
                except (EmbeddedStoreError, OSError):
                    logger.exception("embedded store restart failed; retrying")

    async def stop(self) -> None:
        """Stop the store if this process owns it; an attached process leaves it running."""
        self._stop.set()
        self.healthy.clear()
        if not self.owner:
            self._release_lock()
            return
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        process = self._process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_TIMEOUT_SECS):
                    await process.wait()
            except TimeoutError:
                logger.error("embedded store did not stop in time; killing it")
                process.kill()
                await process.wait()
        if process is not None:
            _release_stdin(process)
        if self._process is not None:
            await asyncio.to_thread(self.uri_path.unlink, missing_ok=True)
        self._release_lock()  # only now may another process start the store
        self.owner = False
        logger.info("embedded store stopped")


async def answering_uri(uri_path: Path) -> str | None:
    """The URI in `uri_path` if a store answers a ping there, else None (missing or stale)."""
    try:
        uri = (await asyncio.to_thread(uri_path.read_text, encoding="utf-8")).strip()
    except FileNotFoundError:
        return None
    if not uri.startswith("mongodb://"):
        return None  # being written
    client: AsyncMongoClient[Any] = await asyncio.to_thread(
        AsyncMongoClient,
        uri,
        serverSelectionTimeoutMS=ATTACH_PING_TIMEOUT_MS,
        connectTimeoutMS=ATTACH_PING_TIMEOUT_MS,
    )
    try:
        await client.admin.command("ping")
    except PyMongoError:
        return None
    finally:
        await client.close()
    return uri


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return False
        raise
    return True


def _write_pid(fd: int) -> None:
    """The owner's pid in the lock file, for operators (the lock itself decides)."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


def _port_of(uri_path: Path) -> int:
    """The port of a stale store.uri (to restart there: its clients reconnect), else 0."""
    try:
        uri = uri_path.read_text(encoding="utf-8").strip()
        return int(uri.split("//", 1)[1].split("/", 1)[0].split("?", 1)[0].rsplit(":", 1)[1])
    except (OSError, IndexError, ValueError):
        return 0


def _release_stdin(process: asyncio.subprocess.Process) -> None:
    """Close our end of an exited child's stdin pipe (held only to outlive it)."""
    if process.stdin is not None and not process.stdin.is_closing():
        process.stdin.close()
