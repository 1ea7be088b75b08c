"""The settings registry: every workspace setting the program knows, in one place.

Each :class:`Setting` names its key, value type, default, *scope* (where it lives and travels),
who may change it, its Chinese label and the check a stored value must pass. The store
(:mod:`assessment.records.settings`) refuses values that fail the check; readers take typed
values with :meth:`Setting.read`, which falls back to the default for an unset or unusable
value; the county server takes the defaults it shares with the laptops from here.

Scopes: ``device`` settings are this device's identity and keys (``device.*``), ``local`` ones
belong to this laptop only (``local.*``: the enrolment with the county); both are stored and
audited by name only and never leave the laptop. ``synced`` settings travel to the county and
the township's other laptops in the change log. Keys that are not registered (for example the
desktop client's own ``ui.*`` preferences) take any JSON value, scoped by the same prefixes.

Who may change a setting: ``anyone`` signed in, ``supervisor`` only (settings that change a
grade or an eligibility result), or ``system`` (written by the program itself, such as keys
and the enrolment; never offered to people).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar, cast

from assessment.scoring import GradeRaiseMode

T = TypeVar("T")

LOCAL_PREFIXES = ("device.", "local.")


class Scope(StrEnum):
    """Where a setting lives and whether it travels."""

    DEVICE = "device"
    LOCAL = "local"
    SYNCED = "synced"


class Who(StrEnum):
    """Who may change a setting."""

    ANYONE = "anyone"
    SUPERVISOR = "supervisor"
    SYSTEM = "system"


Check = Callable[[Any], "str | None"]
"""A value check: ``None`` when the value is acceptable, otherwise the Chinese reason."""


def scope_of(key: str) -> Scope:
    """The scope of any key, registered or not (by its prefix)."""
    if key.startswith("device."):
        return Scope.DEVICE
    if key.startswith("local."):
        return Scope.LOCAL
    return Scope.SYNCED


def is_local(key: str) -> bool:
    """True for settings that never leave this laptop (not in the change log)."""
    return key.startswith(LOCAL_PREFIXES)


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    """One registered setting."""

    key: str
    type: type
    default: T
    who: Who
    label: str
    check: Check | None = None

    @property
    def scope(self) -> Scope:
        """Where it lives (from its key's prefix, so unregistered keys follow the same rule)."""
        return scope_of(self.key)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` may not be stored under this setting (None when it may)."""
        return self.check(value) if self.check is not None else None

    def read(self, get: Callable[[str], Any]) -> T:
        """The typed value from ``workspace.settings.get``; the default when unset or
        unusable."""
        raw: Any = get(self.key)
        if raw is None:
            return self.default
        if self.type is int and isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw)
        if self.problem(raw) is not None or not isinstance(raw, self.type):
            return self.default
        return cast(T, raw)


def whole_number(low: int, high: int) -> Check:
    """An integer from ``low`` to ``high`` (booleans refused)."""
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


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "应为文本"


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "应为是或否"


def _county_code(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and len(value) == 6 and value.isdigit()):
        return None
    return "应为 6 位区划代码"


# ---- synced: the township's laptops share them -------------------------------------------

GRADE_RAISE_MODE: Setting[str] = Setting(
    "grade_raise_mode", str, GradeRaiseMode.ONCE.value, Who.SUPERVISOR, "等级提升方式",
    _raise_mode)  # decision D2
ROUTINE_INTERVAL_MONTHS: Setting[int] = Setting(
    "routine_interval_months", int, 12, Who.SUPERVISOR, "复评间隔（月）",
    whole_number(1, 120))  # decision D4
IDLE_LOCK_MINUTES: Setting[int] = Setting(
    "idle_lock_minutes", int, 10, Who.ANYONE, "空闲锁定（分钟）",
    whole_number(1, 240))  # docs/architecture.md §5: the app locks after idle time
TOWNSHIP: Setting[str | None] = Setting(
    "township", str, None, Who.SUPERVISOR, "乡镇", _optional_text)
COUNTY_CODE: Setting[str | None] = Setting(
    "county_code", str, None, Who.SUPERVISOR, "所属县（区划代码）", _county_code)
PRINTER_NAME: Setting[str] = Setting(
    "printer_name", str, "", Who.ANYONE, "打印机", _text)
FONT_PATH: Setting[str | None] = Setting(
    "documents.font_path", str, None, Who.ANYONE, "证书字体文件", _optional_text)
CERTIFICATE_ID_KEY: Setting[str | None] = Setting(
    "certificate.id_hash_key", str, None, Who.SYSTEM, "证书身份号码摘要密钥", _optional_text)

# ---- device: this device's keys --------------------------------------------------------

DEVICE_SIGNING_KEY: Setting[str | None] = Setting(
    "device.signing_key", str, None, Who.SYSTEM, "设备签名密钥", _optional_text)
DEVICE_BOX_KEY: Setting[str | None] = Setting(
    "device.box_key", str, None, Who.SYSTEM, "设备加密密钥", _optional_text)

# ---- local: the enrolment with the county (``local.sync.*``) ---------------------------

SYNC_PREFIX = "local.sync."
SYNC_SERVER_URL: Setting[str | None] = Setting(
    SYNC_PREFIX + "server_url", str, None, Who.SYSTEM, "县级服务器地址", _optional_text)
SYNC_PUBLIC_URL: Setting[str | None] = Setting(
    SYNC_PREFIX + "public_url", str, None, Who.SYSTEM, "县级公开核验地址", _optional_text)
SYNC_COUNTY_SIGN_PUBLIC: Setting[str | None] = Setting(
    SYNC_PREFIX + "county_sign_public", str, None, Who.SYSTEM, "县级签名公钥", _optional_text)
SYNC_COUNTY_BOX_PUBLIC: Setting[str | None] = Setting(
    SYNC_PREFIX + "county_box_public", str, None, Who.SYSTEM, "县级加密公钥", _optional_text)
SYNC_TOWNSHIP_CODE: Setting[str | None] = Setting(
    SYNC_PREFIX + "township_code", str, None, Who.SYSTEM, "登记乡镇编码", _optional_text)
SYNC_TOWNSHIP_NAME: Setting[str | None] = Setting(
    SYNC_PREFIX + "township_name", str, None, Who.SYSTEM, "登记乡镇", _optional_text)
SYNC_ACCOUNT: Setting[str | None] = Setting(
    SYNC_PREFIX + "account", str, None, Who.SYSTEM, "登记账号", _optional_text)
SYNC_ENROLLED: Setting[bool] = Setting(
    SYNC_PREFIX + "enrolled", bool, False, Who.SYSTEM, "已登记", _flag)
SYNC_REVOKED: Setting[str | None] = Setting(
    SYNC_PREFIX + "revoked", str, None, Who.SYSTEM, "停用原因", _optional_text)

REGISTRY: Mapping[str, Setting[Any]] = {s.key: s for s in (
    GRADE_RAISE_MODE, ROUTINE_INTERVAL_MONTHS, IDLE_LOCK_MINUTES, TOWNSHIP, COUNTY_CODE,
    PRINTER_NAME, FONT_PATH, CERTIFICATE_ID_KEY, DEVICE_SIGNING_KEY, DEVICE_BOX_KEY,
    SYNC_SERVER_URL, SYNC_PUBLIC_URL, SYNC_COUNTY_SIGN_PUBLIC, SYNC_COUNTY_BOX_PUBLIC,
    SYNC_TOWNSHIP_CODE, SYNC_TOWNSHIP_NAME, SYNC_ACCOUNT, SYNC_ENROLLED, SYNC_REVOKED)}
"""Every registered setting by key."""

INITIAL: tuple[Setting[Any], ...] = (
    GRADE_RAISE_MODE, ROUTINE_INTERVAL_MONTHS, IDLE_LOCK_MINUTES, TOWNSHIP, COUNTY_CODE)
"""The settings a new workspace writes with their defaults (recorded in its change log)."""


def registered(key: str) -> Setting[Any] | None:
    """The registered setting of ``key`` (None for free keys such as ``ui.*``)."""
    return REGISTRY.get(key)


def may_change(key: str, role: str) -> bool:
    """Whether an account of ``role`` may change ``key`` by hand (free keys: anyone)."""
    setting = REGISTRY.get(key)
    if setting is None or setting.who is Who.ANYONE:
        return True
    return setting.who is Who.SUPERVISOR and role == "supervisor"
