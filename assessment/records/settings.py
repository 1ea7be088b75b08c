"""Settings as the store keeps them: JSON values in the ``settings`` table, checked first.

What each setting is (type, default, scope, who may change it, label, value check) is the
registry's (:mod:`assessment.settings`); this module applies it when a value is written: a
registered key's value must pass its check (a bad value is refused whole), any value must be
JSON, and a key is 1–64 characters. Device-local keys (``device.*``, ``local.*``) are stored
and audited by name only and never put in the change log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assessment.errors import InputRejected, Problem
from assessment.scoring import GradeRaiseMode, GradingSettings
from assessment.settings import GRADE_RAISE_MODE, INITIAL, registered
from assessment.wire.changes import canonical_json

DEFAULTS: Mapping[str, Any] = {s.key: s.default for s in INITIAL}
"""What ``get_setting`` answers for the settings every workspace starts with, when unset."""


def check_setting(key: str, value: Any) -> None:
    """Refuse a malformed key or value."""
    if not key or len(key) > 64:
        raise InputRejected([Problem("key", "shape", "设置项名称应为 1–64 个字符")])
    try:
        canonical_json(value)
    except (TypeError, ValueError) as exc:
        raise InputRejected([Problem(key, "json", "设置值须可保存为 JSON")]) from exc
    setting = registered(key)
    message = setting.problem(value) if setting is not None else None
    if message:
        raise InputRejected([Problem(key, "value", message)])


def grading_settings(values: Mapping[str, Any]) -> GradingSettings:
    """The grading settings among ``values`` (defaults where unset)."""
    mode = values.get(GRADE_RAISE_MODE.key) or GRADE_RAISE_MODE.default
    return GradingSettings(grade_raise_mode=GradeRaiseMode(mode))
