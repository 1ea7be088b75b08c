"""Large buffers go back to the operating system when they are freed (glibc on Linux).

glibc serves big allocations with ``mmap`` and returns them at ``free``, but raises that
threshold to the size of every such block freed (up to 32 MB), after which request bodies of
a few MB come from the heap and stay in the process when freed: a burst of large requests
would leave the server at its peak for good. Fixing the threshold (and trimming the heap top
beyond 1 MB) keeps every large body in its own mapping, released as soon as it is dropped.
Elsewhere (other C libraries, Windows, macOS) nothing is changed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 256 * 1024
TRIM_THRESHOLD_BYTES = 1024 * 1024


def release_large_blocks() -> bool:
    """Fix glibc's mmap and trim thresholds for this process; whether it could."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and \
        bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
