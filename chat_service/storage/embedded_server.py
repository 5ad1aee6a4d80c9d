"""The embedded store's child process: mongoeco (SQLite engine) on loopback.

Run as `python -m chat_service.storage.embedded_server --path FILE [--port N]`. Prints its
MongoDB URI on the first line of stdout once it accepts connections, then serves until
SIGTERM/SIGINT. It lives in its own process so its CPU work never blocks the chat loop.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from mongoeco.wire import AsyncMongoEcoProxyServer

from chat_service.storage.embedded_engine import ChatStoreEngine


async def serve(path: str, port: int) -> None:
    engine = ChatStoreEngine(path=path)
    server = AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=port)
    address = await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write(address.uri + "\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        try:
            await server.close()
        except Exception as exc:  # report, then exit: the data is committed
            # mongoeco may fail its own cleanup (e.g. "database is locked" in a heartbeat
            # thread) after every write was committed; say so instead of a bare traceback.
            sys.stderr.write(f"embedded store: cleanup after stop failed: {exc!r}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.path, args.port))


if __name__ == "__main__":
    main()
