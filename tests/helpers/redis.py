"""A real Debian `redis-server` on a free loopback port, for tests of several instances."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator

from tests.helpers.ports import free_port

READY_TIMEOUT_SECS = 10.0


class RedisServer:
    """One redis-server process (no persistence), killed and started again at will."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is not installed (scripts/setup --system)"
        self._process = await asyncio.create_subprocess_exec(
            binary,
            "--save",
            "",
            "--appendonly",
            "no",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--logfile",
            "",
            stdout=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        async with asyncio.timeout(READY_TIMEOUT_SECS):
            while b"Ready to accept connections" not in await self._process.stdout.readline():
                assert self._process.returncode is None, "redis-server exited"
        # The log is not read after this: send it nowhere so a full pipe never stalls it.
        self._drain = asyncio.create_task(self._process.stdout.read())

    async def kill(self) -> None:
        """SIGKILL: no goodbye to the clients, as when the machine dies."""
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()
        await self._process.wait()
        await self._drain
        self._process = None


async def running_redis() -> AsyncIterator[RedisServer]:
    server = RedisServer(free_port())
    await server.start()
    try:
        yield server
    finally:
        await server.kill()


class CuttableLink:
    """A loopback TCP forwarder to a Redis server that a test can cut (every connection
    through it reset, new ones refused) and restore: Redis lost by one instance only."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        await self._server.wait_closed()
        self._server = None

    async def close(self) -> None:
        if self._server is not None:
            await self.cut()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            _pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True
        )
        for w in (writer, up_writer):
            self._writers.discard(w)
            w.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.transport.abort()
