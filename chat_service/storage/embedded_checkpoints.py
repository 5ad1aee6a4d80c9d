"""The embedded store's write-ahead log copied into its database file off the write path.

mongoeco opens SQLite with `journal_mode=WAL` and `synchronous=NORMAL`. SQLite's default
(`wal_autocheckpoint=1000` pages) makes the commit that takes the log past 1,000 pages
copy the whole log into the database file and fsync both before the commit returns, on
the store's one event-loop thread: every write waiting behind that commit waits for the
copy and two fsyncs too. A message insert writes about 40 pages (its document, its index
entries, mongoeco's change outbox), so one insert in ~24 paid for a checkpoint: 22.5 ms
p50 against 8.2 ms for the others on the loaded machine (tests/benchmarks/store_paced.py),
about two a second at the 40 messages/s of tests/benchmarks/many_sockets.py, a steady
share of the message acks' tail.

Here the store's connections never checkpoint (`wal_autocheckpoint=0`); a thread of the
store child does, with a connection of its own, every `CHECKPOINT_INTERVAL_SECS` after
something was committed (`PRAGMA data_version` tells it without reading the log). A
PASSIVE checkpoint never waits for, and never blocks, the store's readers and writer; the
sqlite3 module releases the GIL while SQLite copies and syncs, so the event loop goes on
answering. What a commit promises does not change: it is in the log (kept across kill -9
of the store or the server; a power cut may lose the last commits, as before); the log is
copied at most a quarter of a second later instead of at a 1,000-page mark, and SQLite
still checkpoints and removes it when the last connection closes.
"""

from __future__ import annotations

import contextlib
import sqlite3
import struct
import sys
import threading
from pathlib import Path

CHECKPOINT_INTERVAL_SECS = 0.25
STOP_TIMEOUT_SECS = 10.0


def no_automatic_checkpoints(connection: sqlite3.Connection) -> None:
    """A connection whose commits never run a checkpoint themselves."""
    connection.execute("PRAGMA wal_autocheckpoint=0")


class WalCheckpointer:
    """Checkpoints the database at `path` from a daemon thread until `stop()`."""

    def __init__(self, path: str, interval_secs: float = CHECKPOINT_INTERVAL_SECS) -> None:
        self._path = path
        self._interval = interval_secs
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="store-wal-checkpointer", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (after the checkpoint it may be running) and close its connection."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(STOP_TIMEOUT_SECS)

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self._path, check_same_thread=False)
        except sqlite3.Error as exc:
            _report(f"cannot open the database: {exc!r}")
            return
        try:
            no_automatic_checkpoints(connection)
            seen: int | None = None
            while not self._stop.wait(self._interval):
                try:
                    seen = self._checkpoint_if_written(connection, seen)
                except sqlite3.Error as exc:  # e.g. a transient lock: try again next time
                    _report(f"checkpoint failed: {exc!r}")
        finally:
            connection.close()

    def _checkpoint_if_written(self, connection: sqlite3.Connection, seen: int | None) -> int:
        """A PASSIVE checkpoint if another connection committed since `seen`; the version."""
        (version,) = connection.execute("PRAGMA data_version").fetchone()
        if version != seen:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(version)


def log_restarts(database: Path) -> int | None:
    """How many times the database's write-ahead log was started again (its header's
    checkpoint sequence number): a writer restarts it after a complete checkpoint. None
    while there is no log."""
    try:
        with open(f"{database}-wal", "rb") as log:
            header = log.read(16)
    except FileNotFoundError:
        return None
    return int(struct.unpack(">I", header[12:16])[0]) if len(header) == 16 else None


def _report(message: str) -> None:
    """To stderr, which the server logs (storage/embedded.py)."""
    with contextlib.suppress(OSError):
        sys.stderr.write(f"embedded store: WAL checkpointer: {message}\n")
        sys.stderr.flush()
