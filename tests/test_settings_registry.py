"""The settings registry: one place for every key, its default, scope, permission and label."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assessment import settings
from assessment.errors import InputRejected
from assessment.records.settings import DEFAULTS, check_setting
from assessment.settings import (
    GRADE_RAISE_MODE,
    IDLE_LOCK_MINUTES,
    REGISTRY,
    ROUTINE_INTERVAL_MONTHS,
    Scope,
    Who,
    may_change,
)

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_has_a_chinese_label_and_a_scope_matching_its_key() -> None:
    for key, setting in REGISTRY.items():
        assert setting.key == key
        assert setting.label
        assert all("\u4e00" <= ch <= "\u9fff" or not ch.isalpha() for ch in setting.label)
        assert (setting.scope is Scope.SYNCED) == (not settings.is_local(key))
        if setting.default is not None:
            assert setting.problem(setting.default) is None, key


def test_grade_changing_settings_are_for_supervisors() -> None:
    for setting in (GRADE_RAISE_MODE, ROUTINE_INTERVAL_MONTHS):
        assert setting.who is Who.SUPERVISOR
        assert may_change(setting.key, "supervisor")
        assert not may_change(setting.key, "assessor")
    assert may_change(IDLE_LOCK_MINUTES.key, "assessor")
    assert not may_change(settings.DEVICE_SIGNING_KEY.key, "supervisor")  # the program's own
    assert may_change("ui.column_widths", "assessor")  # free keys


def test_the_store_checks_registered_values() -> None:
    with pytest.raises(InputRejected, match="1–120"):
        check_setting(ROUTINE_INTERVAL_MONTHS.key, 0)
    with pytest.raises(InputRejected, match="once"):
        check_setting(GRADE_RAISE_MODE.key, "twice")
    check_setting("ui.anything", {"free": [1, 2]})
    assert DEFAULTS == {"grade_raise_mode": "once", "routine_interval_months": 12,
                        "idle_lock_minutes": 10, "township": None, "county_code": None}


def test_typed_reads_fall_back_to_the_default() -> None:
    stored = {ROUTINE_INTERVAL_MONTHS.key: "6", IDLE_LOCK_MINUTES.key: True,
              GRADE_RAISE_MODE.key: "cumulative"}
    assert ROUTINE_INTERVAL_MONTHS.read(stored.get) == 6
    assert IDLE_LOCK_MINUTES.read(stored.get) == 10  # a boolean is no number of minutes
    assert GRADE_RAISE_MODE.read(stored.get) == "cumulative"
    nothing: dict[str, object] = {}
    assert GRADE_RAISE_MODE.read(nothing.get) == "once"


def test_no_setting_key_is_spelled_outside_the_registry() -> None:
    """Registered keys appear as string literals only in the registry (and in tests); the
    two that are also ordinary field names (township, county code) are left out."""
    keys = set(REGISTRY) - {settings.TOWNSHIP.key, settings.COUNTY_CODE.key}
    offenders = []
    for package in ("assessment", "app", "server"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "assessment" / "settings.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            offenders += [f"{path.relative_to(ROOT)}: {node.value}" for node in ast.walk(tree)
                          if isinstance(node, ast.Constant) and node.value in keys]
    assert offenders == []
