"""The server's own grading of every assessment it receives (docs/architecture.md §4, pinning).

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
from assessment.scoring import Grader, GradeResult

STATUSES = frozenset({"draft", "finalized", "superseded"})
GRADED_STATUSES = frozenset({"finalized", "superseded"})
_CLAIMS = ("final_grade", "initial_grade", "total")


@dataclass(frozen=True, slots=True)
class GradeCheck:
    """Outcome of checking one assessment payload.

    A graded payload keeps the server's :class:`GradeResult` and the payload itself; the
    dicts the review queue shows (:attr:`computed`, :attr:`claimed`) are built only when
    asked for, which is only for a mismatch.
    """

    status: str | None
    quarantine: tuple[str, str] | None = None  # (code, reason)
    result: GradeResult | None = None
    payload: Mapping[str, Any] | None = None
    mismatches: tuple[str, ...] = ()

    @property
    def final_grade(self) -> int | None:
        """The server's final grade, when graded."""
        return None if self.result is None else self.result.final_grade

    @property
    def computed(self) -> dict[str, object] | None:
        """The server's results (subtotals by dimension, total, grades, reasons)."""
        return None if self.result is None else self.result.as_dict()

    @property
    def claimed(self) -> dict[str, object] | None:
        """What the payload claims: grades and total, and its subtotals and reasons when
        they have the right shape."""
        if self.result is None or self.payload is None:
            return None
        get = self.payload.get
        claimed: dict[str, object] = {key: get(key) for key in _CLAIMS}
        subtotals, reasons = get("subtotals"), get("reasons")
        if isinstance(subtotals, Mapping):
            claimed["subtotals"] = dict(subtotals)
        if isinstance(reasons, list):
            claimed["reasons"] = list(reasons)
        return claimed


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
        get = payload.get
        status = get("status")
        answers = get("answers")
        if status not in STATUSES:
            return _refuse("status", "评估状态无效")
        if not isinstance(answers, Mapping) or not isinstance(get("elder_id"), str):
            return _refuse("payload", "评估记录缺少答案或老年人编号")
        if status not in GRADED_STATUSES:
            return GradeCheck(str(status))
        if get("form_version") != self.form_version:
            return _refuse("form", "评估表版本无法识别，服务器不能重新评分")
        # split_answers() without rebuilding the key set each time: answers that are item
        # scores only (the usual finalized form without state facts) are used as they are,
        # otherwise the few facts are taken out of a copy (and dropped when None).
        extra = answers.keys() - self._item_keys
        scores: Mapping[str, Any] = answers
        facts: dict[str, Any] = {}
        if extra:
            scores = dict(answers)
            for key in extra:
                value = scores.pop(key)
                if value is not None:
                    facts[key] = value
        try:
            result = self._grader.grade(scores, facts)
        except InputRejected as exc:
            fields = "、".join(sorted({p.field for p in exc.problems}))
            return _refuse("ungradable", f"已定稿评估的答案无法评分（{fields}）")
        return GradeCheck(str(status), None, result, payload, self._mismatches(payload, result))

    def _mismatches(self, payload: Mapping[str, Any], result: GradeResult) -> tuple[str, ...]:
        """Every way the payload's claims differ from the server's ``result``."""
        get = payload.get
        mismatches: list[str] = []
        if get("rules_hash") != self.rules_hash:
            mismatches.append("评分规则哈希与服务器不同")
        computed = (result.final_grade, result.initial_grade, result.total)
        if tuple(map(get, _CLAIMS)) != computed:  # the usual case: all three agree
            for key, value in zip(_CLAIMS, computed, strict=True):
                if get(key) != value:
                    mismatches.append(f"{key} 上报 {get(key)}，服务器计算为 {value}")
        subtotals = get("subtotals")
        if isinstance(subtotals, Mapping) and \
                tuple(map(subtotals.get, result.dimension_keys)) != result.subtotals:
            for dim, value in zip(result.dimension_keys, result.subtotals, strict=True):
                if subtotals.get(dim) != value:
                    mismatches.append(f"{dim} 小计不符")
        reasons = get("reasons")
        if isinstance(reasons, list) and sorted(map(str, reasons)) != sorted(result.reasons):
            mismatches.append("等级变更依据不符")
        return tuple(mismatches)
