"""Give large buffers back to the operating system as soon as they are freed.

glibc's malloc serves blocks of 128 KiB and more with mmap and unmaps them on free, but
it raises that threshold to the size of any such block freed (up to 32 MiB): after the
first history page or frame of a few hundred KiB is freed, blocks of that size come from
the heap instead, where freeing them seldom shrinks the process. A server that queues and
drops frames of that size for many peers then keeps the peak for good. Fixing the
threshold (which also turns its adjustment off) keeps every large buffer an mmap of its
own, unmapped, and so returned, when the peer it was for is given up on.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc malloc.h
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's initial value


def fix_mmap_threshold() -> bool:
    """True if glibc took the setting (False elsewhere: musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
