"""The embedded store's child process: mongoeco (SQLite engine) on loopback.

Run as `python -m chat_service.storage.embedded_server --path FILE [--port N]
[--exit-with-parent]`. Prints its MongoDB URI on the first line of stdout once it accepts
connections, then serves until SIGTERM/SIGINT, or, with `--exit-with-parent`, until its
stdin reaches end of file: the server holds the other end of that pipe, so a server that
dies without stopping its store (killed, or out of memory) does not leave it running on
the data file. It lives in its own process so its CPU work never blocks the chat loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import traceback

from mongoeco.errors import MongoEcoError
from mongoeco.wire import AsyncMongoEcoProxyServer
from mongoeco.wire import executor as wire_executor
from pymongo.errors import PyMongoError

from chat_service.gc_pauses import freeze_startup_objects
from chat_service.storage import embedded_codec
from chat_service.storage.embedded import INTERNAL_ERROR_PREFIX
from chat_service.storage.embedded_engine import ChatStoreEngine


def _report_internal_errors() -> None:
    """mongoeco answers an exception of its own code (not a MongoDB error) with its message
    alone: write its traceback to stderr too, on one line, which the server logs
    (storage/embedded.py), so that an internal error of the store can be found."""
    build = wire_executor.build_error_document  # type: ignore[attr-defined]  # imported there

    def build_and_report(exc: Exception) -> dict[str, object]:
        if not isinstance(exc, (PyMongoError, MongoEcoError)):
            text = "".join(traceback.format_exception(exc)).strip().replace("\n", " | ")
            with contextlib.suppress(OSError):
                sys.stderr.write(INTERNAL_ERROR_PREFIX + text + "\n")
                sys.stderr.flush()
        return build(exc)

    wire_executor.build_error_document = build_and_report  # type: ignore[attr-defined]


async def serve(path: str, port: int, *, exit_with_parent: bool = False) -> None:
    embedded_codec.install()  # this process serves the store alone
    _report_internal_errors()
    engine = ChatStoreEngine(path=path)
    server = AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=port)
    address = await server.start()
    # The engine and the wire server live as long as the process: no collection walks
    # their objects again (chat_service/gc_pauses.py; a paused store delays every write).
    freeze_startup_objects()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watch = asyncio.create_task(_stop_at_end_of_stdin(stop)) if exit_with_parent else None
    sys.stdout.write(address.uri + "\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        if watch is not None:
            watch.cancel()
        try:
            await server.close()
        except Exception as exc:  # report, then exit: the data is committed
            # mongoeco may fail its own cleanup (e.g. "database is locked" in a heartbeat
            # thread) after every write was committed; say so instead of a bare traceback.
            with contextlib.suppress(OSError):
                sys.stderr.write(f"embedded store: cleanup after stop failed: {exc!r}\n")


async def _stop_at_end_of_stdin(stop: asyncio.Event) -> None:
    """Set `stop` once stdin ends: the process that started this store has gone."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    try:
        while await reader.read(4096):
            pass  # nothing is ever written; read until end of file
    finally:
        transport.close()
    stop.set()
    with contextlib.suppress(OSError):  # stderr was a pipe to that server: likely broken
        sys.stderr.write("embedded store: the server that started it has gone; stopping\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when stdin reaches end of file (the starting process holds the pipe)",
    )
    args = parser.parse_args()
    asyncio.run(serve(args.path, args.port, exit_with_parent=args.exit_with_parent))


if __name__ == "__main__":
    main()
