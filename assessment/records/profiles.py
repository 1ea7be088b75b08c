"""Validation of elder profiles and the service-list attribute vocabulary.

An :class:`~assessment.records.api.ElderProfile` is refused whole, with every problem named,
when its name is empty, its ID number invalid or inconsistent with the stated sex or birth
date, its phone malformed, or an attribute unknown or of the wrong kind
(docs/spec/service-lists.md §3; every attribute may be unknown, i.e. absent or ``None``). The
attributes, their types and allowed values come from the vocabulary file
(``resources/service_lists/vocabulary.yaml``) through the eligibility engine's loader, so the
store, the engine and the attributes editor agree; ``disability_cert`` is ``"none"`` (known:
no certificate), ``{"category": …, "grade": …}`` or unknown.

The real columns (name, ID number, sex, birth date) are authoritative; their Appendix A keys
inside ``info`` (A.2.1, A.2.2, A.2.3, A.2.8) are rewritten from them. Derived attributes
(``birth_date``, ``sex``, ``capability_grade``, ``capability_assessed_on``) are filled in on
read and dropped on write, so a profile read and saved back round-trips.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from types import MappingProxyType
from typing import Any

from assessment.eligibility.vocabulary import Attribute, Record, Vocabulary, load_vocabulary
from assessment.errors import Problem
from assessment.forms import Form
from assessment.identity import ResidentId, parse_resident_id
from assessment.records.api import ElderProfile
from assessment.wire.merge import changed_fields

DERIVED_ATTRIBUTES = frozenset({"birth_date", "sex", "capability_grade",
                                "capability_assessed_on"})
# Attributes that also have a real column (for roster filters).
COLUMN_ATTRIBUTES = ("hukou_code", "residence_code", "area_type", "assistance_status",
                     "dwelling")
_CODE = re.compile(r"^[1-9][0-9]{5}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Check = tuple[Callable[[Any], bool], str]
_PHONE = re.compile(r"^(1[3-9][0-9]{9}|0[1-9][0-9]{1,3}-?[0-9]{7,8})$")
PERSON_FIELD_KEYS = {"A.2.1": "name", "A.2.2": "sex", "A.2.3": "birth_date", "A.2.8": "id_number"}


def _is_code(value: Any) -> bool:
    return isinstance(value, str) and bool(_CODE.match(value))


def _is_int_in(low: int | None, high: int | None) -> Callable[[Any], bool]:
    return lambda value: (isinstance(value, int) and not isinstance(value, bool)
                          and (low is None or value >= low) and (high is None or value <= high))


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _options(attr: Attribute) -> str:
    return "、".join(f"{code}（{label}）" if code != label else code
                    for code, label in attr.values)


def _flat_check(attr: Attribute) -> Check:
    """The store's check of one flat attribute, from its vocabulary type and values."""
    kind = attr.kind
    if kind == "enum":
        codes = frozenset(attr.codes)
        return (lambda v: isinstance(v, str) and v in codes), f"应为{_options(attr)}之一"
    if kind == "set":
        codes = frozenset(attr.codes)
        return ((lambda v: isinstance(v, list | tuple)
                 and all(isinstance(x, str) and x in codes for x in v)),
                f"应为以下选项的列表（可为空）：{_options(attr)}")
    if kind == "bool":
        return (lambda v: isinstance(v, bool)), "应为是/否"
    if kind == "int":
        return (_is_int_in(attr.minimum, attr.maximum),
                f"应为 {attr.minimum}–{attr.maximum} 的整数")
    if kind == "division" and attr.known_codes:
        known = attr.known_codes
        return (lambda v: isinstance(v, str) and v in known), "应为山西省区划表中的县级代码"
    if kind == "division":
        return _is_code, "应为 6 位县级区划代码"
    if kind == "date":
        return _is_date, "应为 YYYY-MM-DD 格式的日期"
    return (lambda v: isinstance(v, str)), "应为文字"


def _record_check(record: Record, vocabulary: Vocabulary) -> Check:
    """A certificate: its "none" code (known: not held), or an object with every field."""
    fields = {name.split(".", 1)[1]: _flat_check(vocabulary.attributes[name])[0]
              for name in record.fields}
    labels = "、".join(vocabulary.attributes[name].label for name in record.fields)

    def check(value: Any) -> bool:
        if value == record.none_code:
            return True
        return (isinstance(value, Mapping) and set(value) == set(fields)
                and all(ok(value[key]) for key, ok in fields.items()))

    return check, f"应为“{record.none_code}”（{record.none_label}）或含{labels}的对象"


@cache
def attribute_checks() -> Mapping[str, Check]:
    """Attribute name → (check, Chinese message): every attribute of the vocabulary file that
    the store keeps (not derived, not an identity attribute with a real column)."""
    vocabulary = load_vocabulary()
    checks: dict[str, Check] = {}
    for name in vocabulary.profile_keys:
        if name in DERIVED_ATTRIBUTES:
            continue
        if name in vocabulary.records:
            checks[name] = _record_check(vocabulary.records[name], vocabulary)
            continue
        attr = vocabulary.attributes[name]
        if attr.role != "identity":
            checks[name] = _flat_check(attr)
    return MappingProxyType(checks)


def clean_attributes(attributes: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Drop derived attributes, check the rest; return the stored form and the problems."""
    stored: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in attributes.items():
        if key in DERIVED_ATTRIBUTES:
            continue
        check = attribute_checks().get(key)
        if check is None:
            problems.append(Problem(f"attributes.{key}", "unknown", "未知的服务清单属性"))
            continue
        if value is None:
            continue
        if not check[0](value):
            problems.append(Problem(f"attributes.{key}", "value", check[1]))
            continue
        stored[key] = list(value) if isinstance(value, tuple) else value
    return stored, problems


def check_profile(profile: ElderProfile, form: Form,
                  today: date | None = None) -> tuple[ResidentId | None, list[Problem]]:
    """Every problem with a profile; also the parsed ID number when it is valid."""
    problems: list[Problem] = []
    if not profile.name.strip():
        problems.append(Problem("A.2.1", "missing", "姓名不能为空"))
    elif len(profile.name.strip()) > 40:
        problems.append(Problem("A.2.1", "length", "姓名过长"))
    resident: ResidentId | None = None
    if profile.id_number:
        parsed = parse_resident_id(profile.id_number, today=today)
        if isinstance(parsed, Problem):
            problems.append(parsed)
        else:
            resident = parsed
            if profile.sex is not None and profile.sex != parsed.sex:
                problems.append(Problem("A.2.2", "id_mismatch",
                                        f"性别与公民身份号码不符（号码显示为{parsed.sex}）"))
            if profile.birth_date is not None and profile.birth_date != parsed.birth_date:
                problems.append(Problem(
                    "A.2.3", "id_mismatch",
                    f"出生日期与公民身份号码不符（号码显示为 {parsed.birth_date.isoformat()}）"))
    if profile.sex is not None and profile.sex not in ("男", "女"):
        problems.append(Problem("A.2.2", "option", "性别应为“男”或“女”"))
    if profile.birth_date is not None and profile.birth_date > (today or date.today()):
        problems.append(Problem("A.2.3", "future", "出生日期晚于今天"))
    if profile.phone and not _PHONE.match(profile.phone.replace(" ", "")):
        problems.append(Problem("phone", "shape", "电话号码格式不正确（手机 11 位，座机带区号）"))
    for key in profile.info:
        if not (form.has_info_field(key) or _is_sub_key(form, key)) or not key.startswith(
                ("A.2.", "A.3.", "A.4.", "A.5.")):
            problems.append(Problem(f"info.{key}", "unknown", "不是附录 A 的个人信息字段"))
    _, attr_problems = clean_attributes(profile.attributes)
    problems.extend(attr_problems)
    return resident, problems


def _is_sub_key(form: Form, key: str) -> bool:
    """Free-text blanks and sub-choices (``A.2.6.note``, ``A.5.6.牙列缺损``) of a known field."""
    head, _, _ = key.rpartition(".")
    return bool(head) and form.has_info_field(head)


def stored_info(profile: ElderProfile, id_number: str | None, sex: str | None,
                birth: date | None) -> dict[str, Any]:
    """The ``info`` column: the profile's A fields with the column-backed ones rewritten."""
    info = {k: v for k, v in profile.info.items() if v is not None}
    info["A.2.1"] = profile.name.strip()
    for key, value in (("A.2.2", sex), ("A.2.3", birth.isoformat() if birth else None),
                       ("A.2.8", id_number)):
        if value is None:
            info.pop(key, None)
        else:
            info[key] = value
    return info


def elder_change_payload(after: Mapping[str, Any],
                         before: Mapping[str, Any] | None) -> dict[str, Any]:
    """The change-log payload of a new elder version: the snapshot ``after`` plus ``changed``,
    the field paths (``name``, ``info.A.2.4``, ``attributes.dwelling`` …) that differ from the
    previous version ``before`` (every field of a new elder). The county and the other laptops
    merge only these fields (:func:`assessment.wire.merge.merge_elder`)."""
    payload = {key: value for key, value in after.items() if key != "changed"}
    base = None if before is None else {k: v for k, v in before.items() if k != "changed"}
    payload["changed"] = sorted(changed_fields(payload, base))
    return payload


def mask_id(id_number: str | None) -> str | None:
    """``140421********123X`` for screens."""
    if not id_number:
        return None
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


ELDER_AGE = 60
"""老年人: 60 周岁以上 (the elderly-rights law); younger people only with a reason."""


def registration_checks(profile: ElderProfile, as_of: date
                        ) -> tuple[list[Problem], list[Problem]]:
    """What registering a new elder needs (problems) and what it should ask about (warnings).

    The village is required (rosters, service lists and sync are by village); a person under
    60 on ``as_of`` is not an elder: a warning, allowed with a reason the caller keeps.
    ``profile.birth_date`` may be None (then derived from the ID number when it parses).
    """
    problems: list[Problem] = []
    warnings: list[Problem] = []
    if not (profile.village or "").strip():
        problems.append(Problem("village", "missing", "请填写村（社区）"))
    birth = profile.birth_date
    if birth is None and profile.id_number:
        parsed = parse_resident_id(profile.id_number)
        birth = None if isinstance(parsed, Problem) else parsed.birth_date
    age = age_on(birth, as_of)
    if age is not None and age < ELDER_AGE:
        warnings.append(Problem("A.2.8", "under_60",
                                f"按身份证号码此人 {age} 周岁，未满 {ELDER_AGE} 周岁，不是老年人；"
                                "如确需建档，请填写原因"))
    return problems, warnings


def age_on(birth: date | None, as_of: date) -> int | None:
    """Whole years (周岁) reached on ``as_of``: 80 on the day of the 80th birthday."""
    if birth is None:
        return None
    years = as_of.year - birth.year
    if (as_of.month, as_of.day) < (birth.month, birth.day):
        years -= 1
    return years
