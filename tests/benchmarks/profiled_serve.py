"""`chat-service` with cProfile switched on and off by signals, for the benchmarks that
start `serve` children (two_instances.py `--profile DIR`).

    python -m tests.benchmarks.profiled_serve serve --port 0 ...   (env PROFILE_PREFIX=DIR/A)

SIGUSR1 starts a profile in the process's CPU time (`time.process_time`: on a shared
machine wall time would charge a call with the time other processes held the core; a
thread's own clock cannot be used, as cProfile also sees calls in other threads). The
main thread runs the event loop: every request, frame, render and Redis call; the
detection worker is a process of its own, not profiled. SIGUSR2 stops it and writes it
to `PROFILE_PREFIX-<n>.prof` (n = 1, 2, ...: one file per window), readable with
`python -m pstats`. cProfile's own cost roughly doubles the time of a profiled function
call, so the files say where the loop's time goes, not how fast it is: measure rates
without `--profile`.
"""

from __future__ import annotations

import cProfile
import os
import signal
import sys
import time
from types import FrameType

from chat_service.cli import main

_profile: cProfile.Profile | None = None
_written = 0


def _start(_signum: int, _frame: FrameType | None) -> None:
    global _profile
    if _profile is None:
        _profile = cProfile.Profile(time.process_time)
        _profile.enable()


def _stop(_signum: int, _frame: FrameType | None) -> None:
    global _profile, _written
    if _profile is None:
        return
    _profile.disable()
    _written += 1
    _profile.dump_stats(f"{os.environ['PROFILE_PREFIX']}-{_written}.prof")
    _profile = None


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
    sys.exit(main(sys.argv[1:]))
