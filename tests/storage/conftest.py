"""Fixtures shared by the store-level tests in this directory."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection


@pytest.fixture
async def collection(store_uri: str | None) -> AsyncIterator[AsyncCollection[dict[str, Any]]]:
    """An empty collection in a database of its own, over the wire: on the module's
    embedded store child, or on MONGODB_URI."""
    uri = store_uri or os.environ["MONGODB_URI"]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    try:
        yield client["scratch_" + secrets.token_hex(4)]["things"]
    finally:
        await client.close()
