"""Typed settings of a workspace, stored as JSON values in the ``settings`` table.

Known settings are validated (a bad value is refused whole); other keys (for example the
desktop client's own ``ui.*`` preferences) take any JSON value.

Settings travel to the county in the change log, except *device-local* ones: keys starting
with ``device.`` or ``local.`` (for example ``device.signing_key``, a private key) are stored
and audited by name only, and never leave the laptop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assessment.errors import InputRejected, Problem
from assessment.scoring import GradeRaiseMode, GradingSettings
from assessment.wire.changes import canonical_json

LOCAL_PREFIXES = ("device.", "local.")


def is_local(key: str) -> bool:
    """True for settings that never leave this laptop (not in the change log)."""
    return key.startswith(LOCAL_PREFIXES)


DEFAULTS: dict[str, Any] = {
    "grade_raise_mode": GradeRaiseMode.ONCE.value,  # decision D2
    "routine_interval_months": 12,  # decision D4
    "idle_lock_minutes": 10,  # DESIGN.md §5: the app locks after idle time
    "township": None,  # name of the township this laptop serves
    "county_code": None,  # 6-digit GB/T 2260 code of its county
}


def _positive_int(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"应为 {low}–{high} 的整数"
        return None
    return check


def _raise_mode(value: Any) -> str | None:
    if value not in {m.value for m in GradeRaiseMode}:
        return "应为 once（合计至多提高一级）或 cumulative（逐项累加）"
    return None


def _optional_text(value: Any) -> str | None:
    return None if value is None or isinstance(value, str) else "应为文本"


def _county_code(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and len(value) == 6 and value.isdigit()):
        return None
    return "应为 6 位区划代码"


CHECKS: dict[str, Callable[[Any], str | None]] = {
    "grade_raise_mode": _raise_mode,
    "routine_interval_months": _positive_int(1, 120),
    "idle_lock_minutes": _positive_int(1, 240),
    "township": _optional_text,
    "county_code": _county_code,
}


def check_setting(key: str, value: Any) -> None:
    """Refuse a malformed key or value."""
    if not key or len(key) > 64:
        raise InputRejected([Problem("key", "shape", "设置项名称应为 1–64 个字符")])
    try:
        canonical_json(value)
    except (TypeError, ValueError) as exc:
        raise InputRejected([Problem(key, "json", "设置值须可保存为 JSON")]) from exc
    check = CHECKS.get(key)
    message = check(value) if check is not None else None
    if message:
        raise InputRejected([Problem(key, "value", message)])


def grading_settings(values: dict[str, Any]) -> GradingSettings:
    """The grading settings among ``values`` (defaults where unset)."""
    mode = values.get("grade_raise_mode", DEFAULTS["grade_raise_mode"])
    return GradingSettings(grade_raise_mode=GradeRaiseMode(mode))
