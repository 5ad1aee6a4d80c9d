"""A store child's body for the store benchmarks (store_insert.py, store_update_read.py,
store_codec.py, store_conversation_update.py, store_paced.py), and their entry point:
light to import, so a child starts quickly on a busy machine (store_update_read.py's
children import only this and the engine)."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable, Coroutine
from typing import Any


async def serve_engine(engine: Any) -> None:
    """`engine` served on 127.0.0.1, its URI printed on the first line of stdout, until
    SIGTERM or SIGINT."""
    from mongoeco.wire import AsyncMongoEcoProxyServer

    server = AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=0)
    address = await server.start()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    print(address.uri, flush=True)
    await stop.wait()
    await server.close()


def serve_or_bench(
    args: argparse.Namespace,
    serve: Callable[[str, str], Coroutine[Any, Any, None]],
    bench: Callable[[argparse.Namespace], Coroutine[Any, Any, int]],
) -> int:
    """A store benchmark's entry: its own store child when started with `--serve KIND
    --path FILE` (the benchmark starts those), else the benchmark itself."""
    if args.serve:
        asyncio.run(serve(args.serve, args.path))
        return 0
    return asyncio.run(bench(args))
