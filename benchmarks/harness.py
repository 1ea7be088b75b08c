"""Small helpers shared by the benchmark modules: timing and the result record."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """The fastest of ``repeats`` runs of ``work``, in seconds (GC paused while timing)."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best


def record(name: str, figure: float, unit: str, floor: float | None, goal: str,
           **extra: object) -> dict[str, object]:
    """One benchmark line: the figure, its floor from the same run, their ratio and the goal."""
    ratio = None if not floor else round(figure / floor, 3)
    return {"name": name, "figure": round(figure, 6), "unit": unit,
            "floor": None if floor is None else round(floor, 6), "ratio": ratio, "goal": goal,
            **extra}
