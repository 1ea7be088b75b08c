"""Finding an elder by resident ID number or name (``elders.html``), and moving one to
another township (``elder_transfer.html``).

The search form posts (never a GET query), so the ID number typed in appears in no URL,
browser history or access log; the page repeats it back only masked. Each result leads to a
confirmation page whose form calls the same transfer as ``yinling county transfer``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from assessment.errors import InputRejected
from server.elder_lookup import NAME_MAX, ElderMatch, Found
from server.transfers import NOTE_LIMIT
from server.web.labels import GRADE_LABELS, UI

SEARCH_URL = f"{UI}/elders"
FIELD_NAMES = {"elder_id": "老人编号", "to": "迁入乡镇", "note": "迁移说明",
               "query": "查找内容", "id_number": "身份证号"}


def transfer_url(elder_id: str) -> str:
    """The confirmation page of moving one elder."""
    return f"{UI}/elders/{quote(elder_id, safe='')}/transfer"


def refusal_text(exc: InputRejected) -> str:
    """Each problem of a refusal, prefixed with the field it names."""
    return "；".join(f"{FIELD_NAMES.get(p.field, p.field)}：{p.message}" for p in exc.problems)


def grade_text(grade: int | None) -> str:
    """A grade as the county reads it (``未评估`` without a finalized assessment)."""
    if grade is None:
        return "未评估"
    return GRADE_LABELS[grade] if 0 <= grade < len(GRADE_LABELS) else str(grade)


def _township(match: ElderMatch) -> str:
    return f"{match.township_name}（{match.township}）"


def _row(m: ElderMatch) -> dict[str, Any]:
    """One elder as the pages show it: the ID number masked, absent facts as ``—``."""
    return {"name": m.name or "（未填姓名）", "id_number": m.id_number_masked or "—",
            "sex": m.sex or "—", "birth_year": m.birth_year or "—",
            "township": _township(m), "village": m.village or "—",
            "grade": grade_text(m.grade), "elder_id": m.elder_id,
            "transfer_url": transfer_url(m.elder_id)}


def search(found: Found | None = None, problem: str = "") -> dict[str, Any]:
    """The search form, and the results of a search (or why it was refused)."""
    typed = found.query.value if found is not None and found.query.by == "name" else ""
    return {"search_url": SEARCH_URL, "typed": typed, "max_length": max(NAME_MAX, 24),
            "problem": problem, "found": found,
            "by_id": found is not None and found.query.by == "id_number",
            "matches": [_row(m) for m in found.matches] if found is not None else []}


def transfer_form(match: ElderMatch, townships: Sequence[Mapping[str, str]], *,
                  chosen: str = "", note: str = "", problem: str = "") -> dict[str, Any]:
    """Are you sure? — the elder's facts and a form choosing the township to move to."""
    row = _row(match)
    return {"problem": problem, "chosen": chosen, "note": note, "note_max": NOTE_LIMIT,
            "search_url": SEARCH_URL, "action": transfer_url(match.elder_id),
            "others": [(t["code"], f"{t['name']}（{t['code']}）") for t in townships
                       if t["code"] != match.township],
            "facts": [("姓名", row["name"]), ("身份证号", row["id_number"]),
                      ("性别", row["sex"]), ("出生年份", row["birth_year"]),
                      ("现属乡镇", row["township"]), ("村（社区）", row["village"]),
                      ("最近等级", row["grade"]), ("老人编号", match.elder_id)]}


def transferred_text(match: ElderMatch, done: Mapping[str, object],
                     names: Mapping[str, str]) -> str:
    """The message after a transfer: who moved where, and with how many assessments."""
    source, target = str(done["from"]), str(done["to"])
    return (f"已将{match.name or '该老人'}从{names.get(source, source)}（{source}）迁至"
            f"{names.get(target, target)}（{target}）：随迁评估 {done['assessments']} 份，"
            f"其中已定稿（含已被取代）的 {done['sent_assessments']} 份连同档案将在迁入乡镇的"
            "笔记本下次同步时送达。")
