"""The parent of the suite's embedded stores: it imports the store server once, then forks a
store child per request, so that each test module's own store (a fresh file, its own
process, the very server `python -m chat_service.storage.embedded_server` runs) starts in
milliseconds instead of paying a new interpreter's import of PyMongo and mongoeco.

Run as a script (`python tests/helpers/store_forks.py`). Lines: each line on stdin is a
store file's path; stdout answers with the child's pid, then the child prints its URI (or a
line saying why it failed). The parent exits at the end of stdin; a child serves until it
gets SIGTERM. The kernel reaps the children (SIGCHLD ignored): wait for one with a pidfd.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import traceback

from chat_service.storage import embedded_server


def main() -> None:
    # A fork copies only the calling thread: the parent must have no other.
    assert threading.active_count() == 1, threading.enumerate()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while line := sys.stdin.readline():
        go_read, go_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(go_write)
            os.read(go_read, 1)  # the parent has printed this pid: the URI comes after it
            os.close(go_read)
            _serve(line.strip())
        os.close(go_read)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()
        os.write(go_write, b".")
        os.close(go_write)


def _serve(path: str) -> None:
    """The child: the store on `path` until SIGTERM; never returns."""
    code = 0
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # the parent's requests are not the child's
        os.close(devnull)
        asyncio.run(embedded_server.serve(path, 0))
    except BaseException as exc:  # reported, and the exit code says so
        traceback.print_exc()
        sys.stdout.write(f"store child failed: {exc!r}\n")  # the line the parent's client awaits
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    main()
