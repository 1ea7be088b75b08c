"""Validation of elder profiles and the service-list attribute vocabulary.

An :class:`~assessment.records.api.ElderProfile` is refused whole, with every problem named,
when its name is empty, its ID number invalid or inconsistent with the stated sex or birth
date, its phone malformed, or an attribute unknown or of the wrong kind
(spec/service-lists.md §3; every attribute may be unknown, i.e. absent or ``None``).

The real columns (name, ID number, sex, birth date) are authoritative; their Appendix A keys
inside ``info`` (A.2.1, A.2.2, A.2.3, A.2.8) are rewritten from them. Derived attributes
(``birth_date``, ``sex``, ``capability_grade``, ``capability_assessed_on``) are filled in on
read and dropped on write, so a profile read and saved back round-trips.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from assessment.errors import Problem
from assessment.forms import Form
from assessment.identity import ResidentId, parse_resident_id
from assessment.records.api import ElderProfile
from assessment.sync.merge import changed_fields

ASSISTANCE_STATUSES = frozenset({"tekun_dispersed", "tekun_centralized", "dibao", "dibao_edge",
                                 "none"})
AREA_TYPES = frozenset({"urban", "rural"})
DWELLINGS = frozenset({"community", "community_bed", "institution"})
FP_FAMILIES = frozenset({"none", "shidu", "shangcan"})
DISABILITY_CATEGORIES = frozenset({"视力", "听力", "言语", "肢体", "智力", "精神", "多重"})
LIVING = frozenset({"独居", "与配偶居住", "与子女居住", "与父母居住", "与兄弟姐妹居住",
                    "与其他亲属居住", "与非亲属关系的人居住", "养老机构"})
MARITAL = frozenset({"未婚", "已婚", "丧偶", "离婚", "未说明的婚姻状况"})
VETERAN = frozenset({"优抚对象", "残疾军人", "烈士遗属", "因公牺牲军人遗属", "病故军人遗属",
                     "在乡复员军人", "带病回乡退伍军人", "参战参试退役人员"})
DERIVED_ATTRIBUTES = frozenset({"birth_date", "sex", "capability_grade",
                                "capability_assessed_on"})
# Attributes that also have a real column (for roster filters).
COLUMN_ATTRIBUTES = ("hukou_code", "residence_code", "area_type", "assistance_status",
                     "dwelling")
_CODE = re.compile(r"^[1-9][0-9]{5}$")
_PHONE = re.compile(r"^(1[3-9][0-9]{9}|0[1-9][0-9]{1,3}-?[0-9]{7,8})$")
PERSON_FIELD_KEYS = {"A.2.1": "name", "A.2.2": "sex", "A.2.3": "birth_date", "A.2.8": "id_number"}


def _is_code(value: Any) -> bool:
    return isinstance(value, str) and bool(_CODE.match(value))


def _one_of(options: frozenset[str]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and value in options


def _set_of(options: frozenset[str]) -> Callable[[Any], bool]:
    return lambda value: (isinstance(value, list | tuple) and
                          all(isinstance(v, str) and v in options for v in value))


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 30


def _is_disability(value: Any) -> bool:
    return (isinstance(value, Mapping) and set(value) == {"category", "grade"}
            and value["category"] in DISABILITY_CATEGORIES
            and value["grade"] in (1, 2, 3, 4) and not isinstance(value["grade"], bool))


ATTRIBUTE_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "hukou_code": (_is_code, "应为 6 位县级区划代码"),
    "residence_code": (_is_code, "应为 6 位县级区划代码"),
    "area_type": (_one_of(AREA_TYPES), "应为 urban（城镇）或 rural（农村）"),
    "assistance_status": (_one_of(ASSISTANCE_STATUSES), "应为 tekun_dispersed、tekun_centralized、"
                          "dibao、dibao_edge 或 none"),
    "econ_hardship_local": (_is_bool, "应为是/否"),
    "disability_cert": (_is_disability,
                        "应为残疾类别（视力/听力/言语/肢体/智力/精神/多重）和等级 1–4"),
    "living": (_set_of(LIVING), "应为 A.2.10 居住情况的选项列表"),
    "children_count": (_is_count, "应为 0–30 的整数"),
    "children_away": (_is_bool, "应为是/否"),
    "marital": (_one_of(MARITAL), "应为 A.2.11 婚姻状况的选项"),
    "fp_special_family": (_one_of(FP_FAMILIES), "应为 none、shidu（失独）或 shangcan（伤残）"),
    "veteran_status": (_set_of(VETERAN), "应为优抚类别列表"),
    "ltc_insured": (_is_bool, "应为是/否"),
    "dwelling": (_one_of(DWELLINGS), "应为 community、community_bed 或 institution"),
}


def clean_attributes(attributes: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Drop derived attributes, check the rest; return the stored form and the problems."""
    stored: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in attributes.items():
        if key in DERIVED_ATTRIBUTES:
            continue
        check = ATTRIBUTE_CHECKS.get(key)
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
    merge only these fields (:func:`assessment.sync.merge.merge_elder`)."""
    payload = {key: value for key, value in after.items() if key != "changed"}
    base = None if before is None else {k: v for k, v in before.items() if k != "changed"}
    payload["changed"] = sorted(changed_fields(payload, base))
    return payload


def mask_id(id_number: str | None) -> str | None:
    """``140421********123X`` for screens."""
    if not id_number:
        return None
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def age_on(birth: date | None, as_of: date) -> int | None:
    """Whole years (周岁) reached on ``as_of``: 80 on the day of the 80th birthday."""
    if birth is None:
        return None
    years = as_of.year - birth.year
    if (as_of.month, as_of.day) < (birth.month, birth.day):
        years -= 1
    return years
