"""The server's own grading of every assessment it receives (DESIGN.md §4, pinning).

A finalized assessment carries its raw answers, the form version and the hash of the scoring
rules it was graded under. The server grades the answers again with
:class:`assessment.scoring.Grader` and compares: any difference in the final or initial grade,
the total, a subtotal, the C.4 reasons or the rules hash is a *mismatch* for the county to
review; the record is still stored. A payload that cannot be graded at all (unknown form,
missing or invalid answers on a finalized assessment) cannot be applied and is quarantined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessment.errors import InputRejected
from assessment.scoring import Grader

STATUSES = frozenset({"draft", "finalized", "superseded"})
GRADED_STATUSES = frozenset({"finalized", "superseded"})


@dataclass(frozen=True, slots=True)
class GradeCheck:
    """Outcome of checking one assessment payload."""

    status: str | None
    quarantine: tuple[str, str] | None = None  # (code, reason)
    computed: dict[str, object] | None = None
    claimed: dict[str, object] | None = None
    mismatches: tuple[str, ...] = ()

    @property
    def final_grade(self) -> int | None:
        """The server's final grade, when graded."""
        value = None if self.computed is None else self.computed.get("final_grade")
        return value if isinstance(value, int) else None


def _refuse(code: str, reason: str) -> GradeCheck:
    return GradeCheck(None, (code, reason))


class ServerGrader:
    """Grades assessment payloads under the form versions this server knows."""

    def __init__(self, grader: Grader | None = None) -> None:
        self._grader = grader or Grader()
        self.form_version = self._grader.form.version_tag
        self.rules_hash = self._grader.form.rules_hash
        self._item_keys = frozenset(item.key for item in self._grader.form.items)

    def check(self, payload: Mapping[str, Any]) -> GradeCheck:
        """Check one assessment payload (see module docstring)."""
        status = payload.get("status")
        answers = payload.get("answers")
        if status not in STATUSES:
            return _refuse("status", "评估状态无效")
        if not isinstance(answers, Mapping) or not isinstance(payload.get("elder_id"), str):
            return _refuse("payload", "评估记录缺少答案或老年人编号")
        if status not in GRADED_STATUSES:
            return GradeCheck(str(status))
        if payload.get("form_version") != self.form_version:
            return _refuse("form", "评估表版本无法识别，服务器不能重新评分")
        # split_answers() without rebuilding the key set each time; answers that are item
        # scores only (the usual finalized form without state facts) are used as they are.
        extra = answers.keys() - self._item_keys
        scores: Mapping[str, Any] = answers
        facts: dict[str, Any] = {}
        if extra:
            scores = {k: v for k, v in answers.items() if k not in extra}
            facts = {k: answers[k] for k in extra if answers[k] is not None}
        try:
            result = self._grader.grade(scores, facts)
        except InputRejected as exc:
            fields = "、".join(sorted({p.field for p in exc.problems}))
            return _refuse("ungradable", f"已定稿评估的答案无法评分（{fields}）")
        computed = result.as_dict()
        get = payload.get
        claimed: dict[str, object] = {"final_grade": get("final_grade"),
                                      "initial_grade": get("initial_grade"),
                                      "total": get("total")}
        mismatches: list[str] = []
        if get("rules_hash") != self.rules_hash:
            mismatches.append("评分规则哈希与服务器不同")
        for key in ("final_grade", "initial_grade", "total"):
            if claimed[key] != computed[key]:
                mismatches.append(f"{key} 上报 {claimed[key]}，服务器计算为 {computed[key]}")
        subtotals = get("subtotals")
        if isinstance(subtotals, Mapping):
            claimed["subtotals"] = dict(subtotals)
            for dim, value in zip(result.dimension_keys, result.subtotals, strict=True):
                if subtotals.get(dim) != value:
                    mismatches.append(f"{dim} 小计不符")
        reasons = get("reasons")
        if isinstance(reasons, list):
            claimed["reasons"] = list(reasons)
            if sorted(map(str, reasons)) != sorted(result.reasons):
                mismatches.append("等级变更依据不符")
        return GradeCheck(str(status), None, computed, claimed, tuple(mismatches))
