"""Python's cyclic garbage collector run on the GUI thread only.

A Qt object must be destroyed on the thread it lives in. Python's collector, left to run on
its own, runs on whichever thread happens to allocate when a threshold is crossed: often a
background job's pool thread (:mod:`app.common.background`), where it may destroy a closed
window's widgets kept in a reference cycle — a crash (seen once as a segmentation fault in
the GUI tests, in a pool thread "Garbage-collecting"). So automatic collection is switched
off and a timer on the GUI thread collects when the interpreter would have: when the
youngest generation is over its threshold, the older ones when theirs are (the recipe many
Qt applications in Python use). Reference counting still frees everything that is not in
a cycle at once, on any thread, as before.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the GUI thread looks at the collector's counts (milliseconds).
INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Switches automatic collection off while it runs; collects on its own thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def check(self) -> None:
        """Collect the generations over their thresholds, as the interpreter would."""
        first, second, third = gc.get_threshold()
        young, middle, old = gc.get_count()
        if young > first:
            generation = 0
            if middle > second:
                generation = 1
                if old > third:
                    generation = 2
            gc.collect(generation)

    def stop(self) -> None:
        """Stop collecting here; automatic collection as it was before."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
