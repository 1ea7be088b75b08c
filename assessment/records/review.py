"""The review before an assessment is finalized (docs/architecture.md §3.8: nothing that
decides a grade is finalized without a review the user can read).

:func:`review_answers` gathers what the assessor must see before confirming: the result
(C.1–C.5 with the C.4 reasons), every open consistency warning and every field that still
blocks finalizing. A warning never blocks grading, but it blocks finalizing until it is either
resolved (the answers change and it disappears) or acknowledged with a reason; the reasons are
kept in the audit entry of the finalization. :func:`check_reason` is the one reader of such
free-text reasons (acknowledgements, the reason of a correction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessment.errors import InputRejected, Problem
from assessment.forms import Form
from assessment.records.lifecycle import SIGN_KEYS, finalize_check
from assessment.scoring import Grader, GradeResult, consistency_warnings, split_answers

REASON_MIN = 2
REASON_MAX = 200


@dataclass(frozen=True, slots=True)
class FinalizeReview:
    """What the review step shows for one draft."""

    result: GradeResult | None  # None while the 26 items do not grade
    warnings: tuple[Problem, ...]  # open consistency warnings (resolve or acknowledge)
    missing: tuple[Problem, ...]  # what still blocks finalizing, field by field

    @property
    def ready(self) -> bool:
        """True when nothing blocks finalizing except warnings that need acknowledging."""
        return self.result is not None and not self.missing


def warning_key(problem: Problem) -> str:
    """The key under which a warning's acknowledgement is given (``B.3.9/coma_mismatch``)."""
    return f"{problem.field}/{problem.code}"


def field_label(form: Form, key: str) -> str:
    """A field as people read it: ``B.3.9 意识水平``, ``A.5.11 昏迷``, ``评估员 1``."""
    base = key[: -len(".state")] if key.endswith(".state") else key
    if base in SIGN_KEYS:
        return SIGN_KEYS[base]
    if form.has_info_field(base):
        return f"{base} {form.info_field(base).label}"
    try:
        return f"{base} {form.item(base).name}"
    except KeyError:
        return base


def open_warnings(form: Form, answers: Mapping[str, Any]) -> list[Problem]:
    """The consistency warnings of these answers (they do not block grading)."""
    scores, facts = split_answers(form, answers)
    return consistency_warnings({k: v for k, v in scores.items() if v is not None}, facts)


def review_answers(form: Form, grader: Grader, answers: Mapping[str, Any]) -> FinalizeReview:
    """The review of one answer dict: result, open warnings, blocking problems."""
    problems, result = finalize_check(form, grader, answers)
    return FinalizeReview(result, tuple(open_warnings(form, answers)), tuple(problems))


def check_reason(field: str, value: Any, what: str) -> str:
    """A free-text reason, stripped; refused (naming ``field``) when blank, too short or too
    long, or not text. ``what`` names the reason in the message (e.g. "核对理由")."""
    if not isinstance(value, str):
        raise InputRejected([Problem(field, "reason", f"{what}应为文字")])
    text = " ".join(value.split())
    if len(text) < REASON_MIN:
        raise InputRejected([Problem(field, "reason",
                                     f"请填写{what}（至少 {REASON_MIN} 个字）")])
    if len(text) > REASON_MAX:
        raise InputRejected([Problem(field, "reason",
                                     f"{what}不能超过 {REASON_MAX} 个字")])
    return text


def acknowledged_warnings(warnings: tuple[Problem, ...] | list[Problem],
                          acknowledged: Mapping[str, str] | None) -> dict[str, str]:
    """Match acknowledgements to the open warnings; every open warning needs one.

    Returns ``{warning key: reason}`` for the open warnings (what the audit entry keeps).
    Raises :class:`InputRejected` naming each warning left without a usable reason.
    Acknowledgements of warnings that are no longer open are ignored (the answer was fixed).
    """
    given = dict(acknowledged or {})
    kept: dict[str, str] = {}
    problems: list[Problem] = []
    for warning in warnings:
        key = warning_key(warning)
        if key not in given:
            problems.append(Problem(warning.field, "unacknowledged",
                                    f"{warning.message}：请改正，或填写核对理由后确认"))
            continue
        try:
            kept[key] = check_reason(warning.field, given[key], "核对理由")
        except InputRejected as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputRejected(problems)
    return kept
