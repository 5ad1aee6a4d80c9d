"""Jobs that tests send to pool workers to exercise the pool's own safety nets."""

from __future__ import annotations

import threading
import time


def hang(seconds: float) -> None:
    """A job stuck outside any reader's time limit (as a wedged C parser would be)."""
    time.sleep(seconds)


def unsendable() -> object:
    """A job whose answer cannot be pickled back to the server."""
    return threading.Lock()
