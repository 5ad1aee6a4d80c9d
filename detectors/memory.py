"""Giving freed memory back to the system (glibc), for the server and its workers.

glibc serves a large allocation with its own mmap (given back to the system when freed)
only while it is over a threshold that starts at 128 KiB and rises to the size of every
such block freed, up to 32 MiB. Pillow holds a picture in blocks of up to 16 MiB: after the
first picture is freed, the next ones land in the heaps (one per thread that decoded) and
stay there, fragmented, when freed: a few pixel bombs left gigabytes resident. A fixed
threshold turns that rise off, so every block of `MMAP_THRESHOLD_BYTES` or more is mapped
on its own and returned when freed. The
server's frames and history pages of a peer given up on (hundreds of KiB each) are such
blocks too: they go back to the system when the peer's queue is dropped.
On a C library without these calls (musl, macOS) both do nothing.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Final

M_TRIM_THRESHOLD: Final = -1  # glibc malloc.h
M_MMAP_THRESHOLD: Final = -3
MMAP_THRESHOLD_BYTES: Final = 128 * 1024  # glibc's initial value, no longer rising
TRIM_THRESHOLD_BYTES: Final = 8 * 1024 * 1024


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols, libc's among them: no file read
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError, TypeError):
        return None
    return libc


def return_large_blocks() -> bool:
    """Fix glibc's mmap threshold (process-wide, from now on); True when it took effect."""
    libc = _libc()
    if libc is None:
        return False
    mapped: int = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    trimmed: int = libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    return mapped == 1 and trimmed == 1
