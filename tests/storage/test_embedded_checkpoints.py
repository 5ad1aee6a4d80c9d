"""The embedded store's write-ahead log is copied into the database file by a thread of the
store, never by a write's commit (storage/embedded_checkpoints.py): over the wire, as the
service writes, on a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from chat_service.storage.embedded_checkpoints import log_restarts
from chat_service.storage.embedded_engine import ChatStoreEngine
from tests.helpers.embedded import served_engine

PAGE = 4096
AUTOMATIC_MARK_PAGES = 1000  # SQLite's default `wal_autocheckpoint`
WAL_HEADER, FRAME_HEADER = 32, 24
# Documents of about two pages each: 700 of them take the log well past SQLite's mark.
BODY = "x" * (2 * PAGE)
DOCUMENTS = 700


@contextlib.asynccontextmanager
async def _served(
    path: Path, every: float | None
) -> AsyncIterator[AsyncCollection[dict[str, Any]]]:
    engine = ChatStoreEngine(path=str(path), checkpoint_every_secs=every)
    async with served_engine(engine) as client:
        yield client["engine"]["things"]


def _log_frames(path: Path) -> int:
    size = Path(f"{path}-wal").stat().st_size
    return (size - WAL_HEADER) // (FRAME_HEADER + PAGE)


def _stored(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM documents").fetchone()
    return int(count)


def _checkpointers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "store-wal-checkpointer"]


async def test_when_writes_pass_sqlites_checkpoint_mark_then_no_commit_copies_the_log(
    tmp_path: Path,
) -> None:
    """The thread is given an hour between looks, so nothing copies the log during the
    test but a commit would: with SQLite's own checkpoints (`every=None`, the default
    before) the same writes restart the log."""
    for every, restarted in ((3600.0, False), (None, True)):
        path = tmp_path / f"{every}.sqlite"
        async with _served(path, every) as things:
            await things.insert_one({"_id": "first"})
            before = await asyncio.to_thread(log_restarts, path)
            for i in range(DOCUMENTS):
                await things.insert_one({"_id": f"d-{i}", "body": BODY})
            after = await asyncio.to_thread(log_restarts, path)
            frames = await asyncio.to_thread(_log_frames, path)
        assert (after != before) is restarted, (every, before, after)
        if not restarted:
            assert frames > AUTOMATIC_MARK_PAGES  # every commit stayed in the log
        assert await asyncio.to_thread(_stored, path) == DOCUMENTS + 1  # nothing lost


async def test_when_writes_go_on_then_the_thread_copies_the_log_and_stops_with_the_store(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite"
    async with _served(path, 0.05) as things:
        assert len(_checkpointers()) == 1
        await things.insert_one({"_id": "first"})
        before = await asyncio.to_thread(log_restarts, path)
        restarts = before
        written = 0
        async with asyncio.timeout(30):
            # A writer starts the log again once a checkpoint has copied all of it.
            while restarts == before:
                await things.insert_one({"_id": f"d-{written}", "body": BODY})
                written += 1
                restarts = await asyncio.to_thread(log_restarts, path)
                await asyncio.sleep(0.01)
        assert await things.count_documents({}) == written + 1
    assert _checkpointers() == []
    async with _served(path, 0.05) as things:  # the file holds every write
        assert await things.count_documents({}) == written + 1
