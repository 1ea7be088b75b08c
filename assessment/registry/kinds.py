"""The kinds of office roster and what each sets on an elder (spec service-lists §3).

* 民政: ``dibao``, ``dibao_edge``, ``tekun_dispersed``, ``tekun_centralized`` set
  ``assistance_status`` to the kind itself;
* 残联: ``disability`` sets ``disability_cert`` from 残疾类别 and 残疾等级;
* 卫健: ``fp_special`` sets ``fp_special_family`` from 计生类别 (失独 / 独生子女伤残);
* 退役军人事务: ``veteran`` sets ``veteran_status`` from 优抚类别 (one or several, 、 or ; between).

Someone on an earlier roster of a kind who is missing from the new one gets the kind's
:attr:`ImportKind.cleared` value (known: not held).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ASSISTANCE = "assistance_status"
# When two assistance rosters of one date disagree, the higher rank is kept.
ASSISTANCE_RANK = {"tekun_centralized": 4, "tekun_dispersed": 3, "dibao": 2, "dibao_edge": 1}

ID_COLUMN = "公民身份号码"
NAME_COLUMN = "姓名"


@dataclass(frozen=True, slots=True)
class ImportKind:
    """One kind of roster: the attribute it decides, its columns and its office."""

    code: str
    label: str
    office: str
    attribute: str
    columns: tuple[str, ...]  # the columns the kind needs besides 公民身份号码
    cleared: Any  # the attribute's value for someone no longer on the roster


KINDS: Mapping[str, ImportKind] = {kind.code: kind for kind in (
    ImportKind("dibao", "最低生活保障对象", "民政", ASSISTANCE, (), "none"),
    ImportKind("dibao_edge", "低保边缘家庭", "民政", ASSISTANCE, (), "none"),
    ImportKind("tekun_dispersed", "特困人员（分散供养）", "民政", ASSISTANCE, (), "none"),
    ImportKind("tekun_centralized", "特困人员（集中供养）", "民政", ASSISTANCE, (), "none"),
    ImportKind("disability", "残疾人（残疾证）", "残联", "disability_cert",
               ("残疾类别", "残疾等级"), "none"),
    ImportKind("fp_special", "计划生育特殊家庭", "卫健", "fp_special_family", ("计生类别",),
               "none"),
    ImportKind("veteran", "优抚对象", "退役军人事务", "veteran_status", ("优抚类别",), []),
)}

DISABILITY_CATEGORIES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
FP_CATEGORIES = {"失独": "shidu", "独生子女伤残": "shangcan", "shidu": "shidu",
                 "shangcan": "shangcan"}
VETERAN_CATEGORIES = ("优抚对象", "残疾军人", "烈士遗属", "因公牺牲军人遗属", "病故军人遗属",
                      "在乡复员军人", "带病回乡退伍军人", "参战参试退役人员")
_GRADES = {"1": 1, "2": 2, "3": 3, "4": 4, "一": 1, "二": 2, "三": 3, "四": 4,
           "一级": 1, "二级": 2, "三级": 3, "四级": 4}
_SPLIT = re.compile(r"[、;；,，/]")


def kind_value(kind: ImportKind, cells: Mapping[str, str]) -> tuple[Any, list[tuple[str, str]]]:
    """The attribute value a row of ``kind`` states, and its problems as (column, reason)."""
    if kind.attribute == ASSISTANCE:
        return kind.code, []
    if kind.code == "disability":
        problems: list[tuple[str, str]] = []
        category = cells.get("残疾类别", "").strip().removesuffix("残疾")
        grade = _GRADES.get(cells.get("残疾等级", "").strip())
        if category not in DISABILITY_CATEGORIES:
            problems.append(("残疾类别", "应为" + "、".join(DISABILITY_CATEGORIES) + "之一"))
        if grade is None:
            problems.append(("残疾等级", "应为 1–4 级"))
        return {"category": category, "grade": grade}, problems
    if kind.code == "fp_special":
        value = FP_CATEGORIES.get(cells.get("计生类别", "").strip())
        if value is None:
            return None, [("计生类别", "应为“失独”或“独生子女伤残”")]
        return value, []
    parts = [p.strip() for p in _SPLIT.split(cells.get("优抚类别", "")) if p.strip()]
    bad = [p for p in parts if p not in VETERAN_CATEGORIES]
    if not parts or bad:
        return None, [("优抚类别", "应为" + "、".join(VETERAN_CATEGORIES) + "中的一项或几项")]
    return sorted(set(parts)), []


def value_text(attribute: str, value: Any) -> str:
    """An attribute value as the registry export writes it (Chinese)."""
    if value is None:
        return ""
    if attribute == ASSISTANCE:
        return {"none": "无", **{k.code: k.label for k in KINDS.values()
                                if k.attribute == ASSISTANCE}}.get(str(value), str(value))
    if attribute == "disability_cert":
        if value == "none":
            return "无"
        if isinstance(value, Mapping):
            return f"{value.get('category', '')}{value.get('grade', '')}级"
    if attribute == "fp_special_family":
        return {"none": "无", "shidu": "失独", "shangcan": "独生子女伤残"}.get(str(value),
                                                                          str(value))
    if isinstance(value, list):
        return "、".join(map(str, value)) if value else "无"
    return str(value)
