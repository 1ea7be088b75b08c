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

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from assessment.errors import InputRejected, Problem
from assessment.records import changelog, lifecycle
from assessment.records.context import Context
from assessment.records.schema import DeviceState, Elder, Setting
from assessment.records.store import Store
from assessment.scoring import GradeRaiseMode, GradingSettings
from assessment.settings import (
    GRADE_RAISE_MODE,
    INITIAL,
    ROUTINE_INTERVAL_MONTHS,
    Who,
    is_local,
    registered,
)
from assessment.wire.changes import canonical_json

DEFAULTS: Mapping[str, Any] = {s.key: s.default for s in INITIAL}
"""What :meth:`Settings.get` answers for the settings every workspace starts with, when unset."""


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


def put_setting(store: Store, session: Session, state: DeviceState, key: str,
                value: Any) -> None:
    """Write a setting inside the current write (the caller checked it): a new version in
    the change log, or, for a device-local key, an audit entry naming the key only."""
    row = session.get(Setting, key)
    if row is None:
        row = Setting(key=key, value=value, version=1, updated_at=changelog.utc_now())
        session.add(row)
    else:
        row.value = value
        row.version += 1
        row.updated_at = changelog.utc_now()
    session.flush()
    if is_local(key):  # device secrets and local preferences: audited, never synced
        store.audit(session, state, "set_setting", "setting", key, {"key": key, "local": True})
        store.touched("setting", key)
        return
    store.log(session, state, "setting", key, row.version, {"key": key, "value": value},
              "set_setting", {"key": key})


class Settings:
    """The settings of one open workspace (``workspace.settings``)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def get(self, key: str, default: Any = None) -> Any:
        """A setting's value (its documented default when never set)."""
        with self._ctx.store.reading() as session:
            row = session.get(Setting, key)
            if row is not None:
                return row.value
        return DEFAULTS.get(key, default) if default is None else default

    def set(self, key: str, value: Any) -> None:
        """Change a setting; a new ``routine_interval_months`` recomputes every due date.

        ``device.*`` and ``local.*`` settings stay on this laptop (not in the change log).
        Settings that change a grade or an eligibility result (registered as supervisor-only,
        such as 等级提升方式) are refused to other accounts here, whatever the screen offers."""
        setting = registered(key)
        if setting is not None and setting.who is Who.SUPERVISOR and \
                not self._ctx.is_supervisor:
            raise InputRejected([Problem(key, "forbidden",
                                         f"只有管理员可以修改“{setting.label}”")])
        check_setting(key, value)
        with self._ctx.store.writing() as (session, state):
            put_setting(self._ctx.store, session, state, key, value)
            if key == ROUTINE_INTERVAL_MONTHS.key:
                dates = session.scalars(
                    select(Elder.last_assessed).where(Elder.last_assessed.is_not(None))
                    .distinct()
                ).all()
                for day in dates:
                    if day is None:
                        continue
                    session.execute(update(Elder).where(Elder.last_assessed == day)
                                    .values(due_on=lifecycle.due_date(day, int(value))))

    def set_local(self, values: Mapping[str, Any]) -> None:
        """Store several device-local settings (``device.*``/``local.*``, such as the
        enrolment) in one transaction; none of them enters the change log."""
        for key, value in values.items():
            if not is_local(key):
                raise InputRejected([Problem(key, "local", "只能在此保存本机设置")])
            check_setting(key, value)
        with self._ctx.store.writing() as (session, state):
            for key, value in values.items():
                put_setting(self._ctx.store, session, state, key, value)

    def grading(self) -> GradingSettings:
        """The grading settings in force (the grade raise mode)."""
        return grading_settings({GRADE_RAISE_MODE.key: self.get(GRADE_RAISE_MODE.key)})

    def interval_months(self) -> int:
        """Months between routine re-assessments (the due dates)."""
        return int(self.get(ROUTINE_INTERVAL_MONTHS.key))
