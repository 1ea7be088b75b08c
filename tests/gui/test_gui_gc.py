"""Cycles are collected on the GUI thread, never in a background job's pool thread, where
destroying a window's widgets crashes (app.common.gui_gc)."""

from __future__ import annotations

import gc
import threading
from typing import Any

from pytestqt.qtbot import QtBot

from app.common.background import BackgroundTask, CancelToken, ProgressFn


class _Cycle:
    """Garbage only the collector frees (it refers to itself); notes where it died."""

    def __init__(self, died_on: list[int]) -> None:
        self.me = self
        self.died_on = died_on

    def __del__(self) -> None:
        self.died_on.append(threading.get_ident())


def _allocating_job(progress: ProgressFn, token: CancelToken) -> int:
    """Allocates enough containers to cross the youngest generation's threshold many
    times (automatic collection would run here, on the pool thread)."""
    del progress, token
    junk: list[list[Any]] = [[] for _ in range(50_000)]
    for item in junk:
        item.append(item)
    return threading.get_ident()


def test_a_cycle_left_behind_dies_on_the_gui_thread(qtbot: QtBot) -> None:
    gui = threading.get_ident()
    died_on: list[int] = []
    gc.collect()
    _Cycle(died_on)  # left behind, as a closed window's cycle would be
    task = BackgroundTask(_allocating_job)
    with qtbot.waitSignal(task.succeeded, timeout=10_000) as blocker:
        task.start()
    assert blocker.args is not None
    assert blocker.args[0] != gui  # it ran on a pool thread
    qtbot.waitUntil(lambda: bool(died_on), timeout=10_000)
    assert died_on == [gui]
