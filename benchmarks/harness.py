"""Small helpers shared by the benchmark modules: timing and the result record."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

MIN_RUNS = 3  # every side of a comparison is timed at least this many times


def median_of(repeats: int, work: Callable[[], object]) -> float:
    """The median of ``repeats`` (at least :data:`MIN_RUNS`) runs of ``work``, in seconds
    (GC paused while timing). The median rather than the best: on a shared machine the
    fastest run flatters whichever side happened to run alone."""
    times = []
    for _ in range(max(repeats, MIN_RUNS)):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return statistics.median(times)


def record(name: str, figure: float, unit: str, floor: float | None, goal: str,
           **extra: object) -> dict[str, object]:
    """One benchmark line: the figure, its floor from the same run, their ratio and the goal."""
    ratio = None if not floor else round(figure / floor, 3)
    return {"name": name, "figure": round(figure, 6), "unit": unit,
            "floor": None if floor is None else round(floor, 6), "ratio": ratio, "goal": goal,
            **extra}
