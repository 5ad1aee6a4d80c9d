"""An embedded-store engine served over the wire for the storage tests: mongoeco's proxy
server on a free loopback port and a real PyMongo client of it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire import AsyncMongoEcoProxyServer
from pymongo import AsyncMongoClient


@contextlib.asynccontextmanager
async def served_engine(engine: SQLiteEngine) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    """A client of `engine` served on 127.0.0.1; both closed on leaving."""
    server = AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=0)
    address = await server.start()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(address.uri, tz_aware=True)
    try:
        yield client
    finally:
        await client.close()
        await server.close()
