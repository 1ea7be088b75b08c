"""Errors as data (docs/architecture.md §3.6).

Validation produces :class:`Problem` values (field, code, Chinese message) that the UI maps to
widgets and the CLI prints; :class:`InputRejected` carries them when input is refused whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: which field, a stable code, and a message for people."""

    field: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InputRejected(ValueError):
    """Input refused whole; ``problems`` names every field at fault."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class FormFileError(ValueError):
    """A data file (form, list) is malformed: names the file, the key and the reason."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file = file
        self.key = key
        self.reason = reason
        super().__init__(f"{file}: {key}: {reason}")
