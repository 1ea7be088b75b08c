"""Shared fixtures: the bundled lists only (an empty user folder), and a matching helper."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assessment.eligibility import ListRegistry, MatchResult, load_lists, match_profile
from assessment.eligibility.registry import DATA_DIR_ENV

Matcher = Callable[..., MatchResult]


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the user data folder at a fresh temporary folder for every test."""
    folder = tmp_path / "data"
    monkeypatch.setenv(DATA_DIR_ENV, str(folder))
    return folder


@pytest.fixture(scope="session")
def lists() -> ListRegistry:
    """The bundled list versions (no installed ones)."""
    return load_lists(Path("/nonexistent-yinling-lists"))


@pytest.fixture
def match(lists: ListRegistry) -> Matcher:
    """Match a profile given as keyword arguments on ``as_of`` (default 2025-06-01)."""

    def run(as_of: dt.date = dt.date(2025, 6, 1), **profile: Any) -> MatchResult:
        return match_profile(profile, as_of, lists)

    return run
