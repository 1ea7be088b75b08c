"""Progress and cancel for long jobs, free of any GUI toolkit (docs/architecture.md §3.5).

A job is a plain callable ``job(progress, token) -> result``: it reports progress through
``progress(done, total, text)`` and checks ``token.cancelled`` between steps, raising
:class:`Cancelled` when asked to stop. The desktop app runs jobs on its background helper
(which owns a :class:`CancelToken` per task); the command line runs them in the foreground.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol


class CancelToken:
    """Set by whoever started the job when the user cancels; read by the job."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    def is_set(self) -> bool:
        """The same as :attr:`cancelled` (the sync client's cancel-flag protocol)."""
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` when the job was asked to stop."""
        if self._event.is_set():
            raise Cancelled


class Cancelled(Exception):
    """A job raises this when it stops because its token was cancelled."""


class ProgressFn(Protocol):
    """How a job reports progress: ``done`` of ``total`` steps and a short Chinese text."""

    def __call__(self, done: int, total: int, text: str = "") -> None: ...


def no_progress(done: int, total: int, text: str = "") -> None:
    """A progress report nobody watches."""


Job = Callable[[ProgressFn, CancelToken], Any]
"""A job as the app's background helper runs it."""
