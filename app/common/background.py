"""The one helper for work off the GUI thread, with progress and cancel (docs/architecture.md §3.5).

A job is a plain callable ``job(progress, token) -> result`` that knows nothing about Qt (the
core's job types, :mod:`assessment.usecases.progress`): it reports progress through
``progress(done, total, text)`` and checks ``token.cancelled`` now and then.
:class:`BackgroundTask` runs it on the global thread pool and delivers progress, the result, a
failure or the cancellation back on the GUI thread through signals; :class:`ProgressDialog`
shows it with a progress bar and a 取消 button.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QDialog, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from assessment.usecases.progress import Cancelled, CancelToken, Job, ProgressFn

__all__ = ["BackgroundTask", "CancelToken", "Cancelled", "Job", "ProgressDialog", "ProgressFn"]


class _Signals(QObject):
    progress = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()


class _Runnable(QRunnable):
    def __init__(self, job: Job, token: CancelToken, signals: _Signals) -> None:
        super().__init__()
        self._job = job
        self._token = token
        self._signals = signals
        self.setAutoDelete(True)

    def run(self) -> None:
        def progress(done: int, total: int, text: str = "") -> None:
            self._signals.progress.emit(done, total, text)

        try:
            result = self._job(progress, self._token)
        except Cancelled:
            self._signals.cancelled.emit()
        except BaseException as exc:  # delivered to the GUI thread, which decides
            if self._token.cancelled:
                self._signals.cancelled.emit()
            else:
                self._signals.failed.emit(exc)
        else:
            if self._token.cancelled:
                self._signals.cancelled.emit()
            else:
                self._signals.succeeded.emit(result)


class BackgroundTask(QObject):
    """One job on the thread pool; connect to the signals, then :meth:`start`.

    Signals arrive on the thread that created the task (the GUI thread).
    """

    progress = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, job: Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job = job
        self.token = CancelToken()
        self._signals = _Signals()
        self._signals.progress.connect(self.progress, Qt.ConnectionType.QueuedConnection)
        self._signals.succeeded.connect(self._on_succeeded, Qt.ConnectionType.QueuedConnection)
        self._signals.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._signals.cancelled.connect(self._on_cancelled, Qt.ConnectionType.QueuedConnection)
        self.running = False

    def start(self, pool: QThreadPool | None = None) -> None:
        """Queue the job on ``pool`` (the global pool by default)."""
        self.running = True
        (pool or QThreadPool.globalInstance()).start(_Runnable(self._job, self.token,
                                                               self._signals))

    def cancel(self) -> None:
        """Ask the job to stop; :attr:`cancelled` is emitted when it has."""
        self.token.cancel()

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        self.running = False
        self.succeeded.emit(result)
        self.finished.emit()

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        self.running = False
        self.failed.emit(error)
        self.finished.emit()

    @Slot()
    def _on_cancelled(self) -> None:
        self.running = False
        self.cancelled.emit()
        self.finished.emit()


class ProgressDialog(QDialog):
    """A modal progress bar with 取消 for one :class:`BackgroundTask`; closes when it ends."""

    def __init__(self, task: BackgroundTask, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(380)
        self._task = task
        self._label = QLabel(title)
        self._bar = QProgressBar()
        self._bar.setRange(0, 0)
        self._cancel = QPushButton("取消")
        self._cancel.clicked.connect(self._on_cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self._label)
        layout.addWidget(self._bar)
        layout.addWidget(self._cancel, 0, Qt.AlignmentFlag.AlignRight)
        task.progress.connect(self._on_progress)
        task.finished.connect(self.accept)

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self._bar.setRange(0, total)
            self._bar.setValue(done)
        if text:
            self._label.setText(text)

    @Slot()
    def _on_cancel(self) -> None:
        self._cancel.setEnabled(False)
        self._label.setText("正在取消……")
        self._task.cancel()
