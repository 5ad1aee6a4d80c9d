"""Starts, watches and restarts the embedded store's child process.

The child's URI is written to `<data dir>/store.uri` while it runs so operators (and the
CLI's data commands) can attach a MongoDB client to it. If the child dies, the supervisor
logs why, marks the store unhealthy and restarts it on the same port, so the service's
driver reconnects by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECS = 60.0
STOP_TIMEOUT_SECS = 10.0
STDERR_TAIL_LINES = 20


class EmbeddedStoreError(RuntimeError):
    pass


class EmbeddedStore:
    def __init__(self, data_dir: Path, *, restart_delay_secs: float = 0.5) -> None:
        self.data_dir = data_dir
        self.db_path = data_dir / "store.sqlite"
        self.uri_path = data_dir / "store.uri"
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
        await asyncio.to_thread(self.data_dir.mkdir, parents=True, exist_ok=True)
        await self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(), name="embedded-store-supervisor")
        return self.uri

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
            self._stderr_tail.append(raw.decode(errors="replace").rstrip())
            del self._stderr_tail[:-STDERR_TAIL_LINES]

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
        self._stop.set()
        self.healthy.clear()
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
        await asyncio.to_thread(self.uri_path.unlink, missing_ok=True)
        logger.info("embedded store stopped")


def _release_stdin(process: asyncio.subprocess.Process) -> None:
    """Close our end of an exited child's stdin pipe (held only to outlive it)."""
    if process.stdin is not None and not process.stdin.is_closing():
        process.stdin.close()
