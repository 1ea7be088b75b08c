"""The registry page (名册, ``registry.html``): the potential-duplicate queue across townships
with its merge buttons, deregistration with restore and unmerge, and the offices' roster
import (a dry run first) with its summary (``registry_summary.html``).

ID numbers are masked here, before any template sees them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assessment.registry.kinds import KINDS
from assessment.registry.status import MERGED, REASONS
from server.elder_lookup import mask_id_number
from server.web.labels import UI

URL = f"{UI}/registry"


def person(p: Mapping[str, Any]) -> str:
    """``姓名（号码（掩码），出生日期，乡镇村）`` of one record."""
    number = mask_id_number(p["id_number"]) if p.get("id_number") else "无号码"
    return (f"{p.get('name') or ''}（{number}，{p.get('birth_date') or ''}，"
            f"{p.get('township') or ''}{p.get('village') or ''}）")


def _pair(p: Mapping[str, Any]) -> dict[str, Any]:
    first, second = p["first"], p["second"]
    return {"reason": p["reason_text"], "first": person(first), "second": person(second),
            "first_id": first["elder_id"], "second_id": second["elder_id"],
            "first_name": first.get("name") or "", "second_name": second.get("name") or ""}


def _off_roll(row: Mapping[str, Any]) -> dict[str, Any]:
    merged = row["status"] == MERGED
    return {"person": person(row),
            "status": row["label"] + (f"（并入 {row['merged_into']}）"
                                      if row.get("merged_into") else ""),
            "elder_id": row["elder_id"], "verb": "unmerge" if merged else "restore",
            "button": "撤销合并" if merged else "恢复在册"}


def registry_page(pairs: Sequence[Mapping[str, Any]], max_mb: int,
                  off: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The queue, deregistration with the restore and unmerge buttons, the import form."""
    return {"url": URL, "max_mb": max_mb, "pairs": [_pair(p) for p in pairs],
            "off_roll": [_off_roll(r) for r in off],
            "kinds": [(k.code, f"{k.office}：{k.label}") for k in KINDS.values()],
            "reasons": list(REASONS.items())}


def summary_view(summary: Mapping[str, Any]) -> dict[str, Any]:
    """An import's summary (a dry run or applied). The row numbers lead back to the uploaded
    file, and the full lists come from ``yinling county registry import`` on the county
    machine."""
    head = "预览（尚未写入）" if summary.get("dry_run") else (
        "已导入" if summary.get("applied") else "未导入：名单中没有可导入的行")
    mask = mask_id_number
    return {
        "head": head, "url": URL,
        "facts": [("行数", summary["rows"]), ("匹配", summary["matched"]),
                  ("更新", summary["updated"]), ("不变", summary["unchanged"]),
                  ("不在新名单中而取消身份", summary["removed"]),
                  ("导入编号", summary.get("import_id", ""))],
        "newly": [(mask(e["id_number"]), e["name"], "、".join(i["name"] for i in e["items"]))
                  for e in summary.get("newly_eligible", [])],
        "unknown": [(e["row"], mask(e["id_number"])) for e in summary.get("unknown_ids", [])],
        "removed": [(mask(e["id_number"]), e["name"]) for e in summary.get("removed_ids", [])],
        "refused": [(e["row"], e["field"], e["reason"]) for e in summary.get("refused", [])],
        "names": [(e["row"], mask(e["id_number"]), e["registry"], e["roster"])
                  for e in summary.get("name_mismatches", [])],
    }
