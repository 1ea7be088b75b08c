"""Worker processes for the county's CPU-bound bulk work.

A county server's statistics workbook (:mod:`server.stats_workers`) is Python and pandas
computing over every elder, one core's worth; the machine has more. It hands parts of the
work to a few worker processes:

* started with ``spawn``: a clean interpreter, never a fork of a server process with its
  threads and pooled connections (the program's ``__main__`` modules are guarded for it);
* as many as the cores this process may use, at most :data:`MAX_WORKERS`;
* gone when the job is done; an exception in a worker is raised in the caller, so a failed
  part fails the whole job.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

#: At most this many worker processes (beyond that the database is the bottleneck).
MAX_WORKERS = 4


def default_workers() -> int:
    """The worker processes a job uses: the cores this process may run on, at most
    :data:`MAX_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


def spawn_pool(workers: int, initializer: Callable[..., None] | None = None,
               initargs: tuple[Any, ...] = ()) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes started with ``spawn``."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=initializer, initargs=initargs)
