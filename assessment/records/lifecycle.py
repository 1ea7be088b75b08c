"""The rules of an assessment's life (docs/spec/gbt42195.md §11,
docs/architecture.md §3.4), free of any database code.

* :func:`answer_problems`: what an autosave may hold. Partial answers are fine; a value of the
  wrong kind (a score the item does not have, an option the field does not offer, a date that
  is not a date) or an unknown key is refused, so a stored draft is always something the form
  can show again.
* :func:`finalize_problems`: what finalizing needs: all 26 B items (and the B.3.9 state when
  it scores 0), A.1.1–A.1.3, A.3.1, A.3.2, and two distinct assessors.
* :func:`preview`: C.1–C.5 once all 26 items are answered (``None`` before).
* :func:`due_date`: A.1.2 + ``routine_interval_months``.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from typing import Any

from assessment.errors import InputRejected, Problem
from assessment.forms import Form, InfoField
from assessment.records.signatures import SIGNATURE_KEYS, signature_problem
from assessment.scoring import Grader, GradeResult, is_complete, split_answers

REASONS = ("首次评估", "常规评估", "即时评估", "因对评估结果有疑问进行的复评", "其他")
SIGN_KEYS = {
    "sign.place": "评估地点",
    "sign.assessor_1": "评估员 1",
    "sign.assessor_2": "评估员 2",
    "sign.assessor_date": "评估员签名日期",
    "sign.provider_date": "信息提供者签名日期",
}
_SIGN_DATES = frozenset({"sign.assessor_date", "sign.provider_date"})
# Appendix A fields copied from the elder into a new assessment: the person's standing facts.
# Not copied: A.2.14 (events of the last 30 days), A.3.1/A.3.2 (who informs *this* visit),
# A.4 and A.5 (today's diagnoses and health, which feed the grade and must be asked again).
PREFILL_PREFIXES = ("A.2.", "A.3.3", "A.3.4")
PREFILL_EXCLUDED_PREFIX = "A.2.14"


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def due_date(reference: date, interval_months: int) -> date:
    """When the routine re-assessment falls due (decision D4)."""
    return add_months(reference, interval_months)


def parse_date(value: Any) -> date | None:
    """A ``YYYY-MM-DD`` string (or a date) as a date; ``None`` when it is not one."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class _FormIndex:
    """Lookup tables of one form for checking answers quickly (built once per form)."""

    def __init__(self, form: Form) -> None:
        self.items = {item.key: item.scores for item in form.items}
        self.score_text = {key: ", ".join(map(str, sorted(scores)))
                           for key, scores in self.items.items()}
        self.states = {item.state_key: frozenset(o.state for o in item.options if o.state)
                       for item in form.items if item.state_key}
        self.fields = {info.key: info for info in form.fields}
        self.options = {info.key: frozenset(info.option_texts()) for info in form.fields}
        self.blanks: set[str] = set()
        for info in form.fields:
            if info.note_key:
                self.blanks.add(info.note_key)
            for option in info.options:
                if option.blank:
                    self.blanks.add(option.blank)
        self.required = tuple(info for info in form.fields if info.required_to_finalize)


_INDEXES: dict[int, tuple[Form, _FormIndex]] = {}


def _index(form: Form) -> _FormIndex:
    cached = _INDEXES.get(id(form))
    if cached is None or cached[0] is not form:
        cached = (form, _FormIndex(form))
        _INDEXES[id(form)] = cached
    return cached[1]


def _field_value_problem(info: InfoField, options: frozenset[str], value: Any) -> str | None:
    kind = info.type
    if kind == "single":
        if not isinstance(value, str) or value not in options:
            return f"没有选项 {value!r}"
    elif kind == "multi":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return "多选题的答案应为选项文本列表"
        bad = [v for v in value if v not in options]
        if bad:
            return f"没有选项 {', '.join(bad)}"
    elif kind == "date":
        if parse_date(value) is None:
            return "日期应为 YYYY-MM-DD"
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "应为数值"
        if info.minimum is not None and value < info.minimum:
            return f"不应小于 {info.minimum:g}"
        if info.maximum is not None and value > info.maximum:
            return f"不应大于 {info.maximum:g}"
    elif kind == "table":
        if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
            return "应为表格行的列表"
    elif not isinstance(value, str):
        return "应为文本"
    return None


def answer_problems(form: Form, answers: Mapping[str, Any]) -> list[Problem]:
    """Problems that make ``answers`` unfit to store as a draft (empty when fine)."""
    problems: list[Problem] = []
    index = _index(form)
    for key, value in answers.items():
        if not isinstance(key, str):
            problems.append(Problem(str(key), "unknown", "字段编号应为文本"))
            continue
        if value is None:
            continue
        allowed = index.items.get(key)
        if allowed is not None:
            if type(value) is not int or value not in allowed:
                problems.append(Problem(key, "range",
                                        f"评分应为 {index.score_text[key]} 之一，收到 {value!r}"))
            continue
        states = index.states.get(key)
        info = index.fields.get(key)
        if states is not None:
            if value not in states:
                problems.append(Problem(key, "state", f"应为 {' 或 '.join(sorted(states))}"))
        elif info is not None:
            message = _field_value_problem(info, index.options[key], value)
            if message:
                problems.append(Problem(key, "value", message))
        elif key in SIGNATURE_KEYS:
            message = signature_problem(value)
            if message:
                problems.append(Problem(key, "value", message))
        elif key in SIGN_KEYS:
            if not isinstance(value, str):
                problems.append(Problem(key, "value", "应为文本"))
            elif key in _SIGN_DATES and value and parse_date(value) is None:
                problems.append(Problem(key, "value", "日期应为 YYYY-MM-DD"))
        elif key in index.blanks or key.rpartition(".")[0] in index.fields:
            if not isinstance(value, str | list):
                problems.append(Problem(key, "value", "应为文本"))
        else:
            problems.append(Problem(key, "unknown", "未知的字段编号"))
    reference = parse_date(answers.get("A.1.2"))
    if reference is not None and reference > date.today():
        problems.append(Problem("A.1.2", "future", "评估基准日期不能晚于今天"))
    return problems


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and len(value) == 0)


def finalize_problems(form: Form, grader: Grader, answers: Mapping[str, Any]) -> list[Problem]:
    """Everything that stops an assessment from being finalized, in form order."""
    return finalize_check(form, grader, answers)[0]


def finalize_check(form: Form, grader: Grader,
                   answers: Mapping[str, Any]) -> tuple[list[Problem], GradeResult | None]:
    """:func:`finalize_problems` and, when the 26 items grade, the result (one grading)."""
    result: GradeResult | None = None
    problems = answer_problems(form, answers)
    for info in _index(form).required:
        if _blank(answers.get(info.key)):
            problems.append(Problem(info.key, "missing", f"定稿前须填写“{info.label}”"))
    scores, facts = split_answers(form, answers)
    try:
        result = grader.grade(scores, facts)
    except InputRejected as rejected:
        problems.extend(p for p in rejected.problems if p.code not in {"option", "unknown"})
    first = str(answers.get("sign.assessor_1") or "").strip()
    second = str(answers.get("sign.assessor_2") or "").strip()
    if not first:
        problems.append(Problem("sign.assessor_1", "missing", "须记录第一位评估员"))
    if not second:
        problems.append(Problem("sign.assessor_2", "missing", "须记录第二位评估员"))
    if first and second and first.casefold() == second.casefold():
        problems.append(Problem("sign.assessor_2", "same_assessor",
                                "两位评估员须为不同的人（GB/T 42195 要求两名评估员同时评估）"))
    seen: set[tuple[str, str]] = set()
    unique: list[Problem] = []
    for problem in problems:
        if (problem.field, problem.code) not in seen:
            seen.add((problem.field, problem.code))
            unique.append(problem)
    return unique, result


def preview(form: Form, grader: Grader, answers: Mapping[str, Any]) -> GradeResult | None:
    """C.1–C.5 when all 26 items are answered and gradable, else ``None``."""
    if not is_complete(form, answers):
        return None
    scores, facts = split_answers(form, answers)
    try:
        return grader.grade(scores, facts)
    except InputRejected:
        return None


def grade_facts(form: Form, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Only the facts grading reads (the choice fields and recorded states)."""
    _, facts = split_answers(form, answers)
    return facts


def prefill_from_elder(info: Mapping[str, Any]) -> dict[str, Any]:
    """The person's standing A fields, copied into a new assessment."""
    return {
        key: value for key, value in info.items()
        if key.startswith(PREFILL_PREFIXES) and not key.startswith(PREFILL_EXCLUDED_PREFIX)
        and value is not None
    }


def signoff_defaults(today: date, username: str, elder_last: Mapping[str, Any] | None,
                     own_last: Mapping[str, Any] | None) -> dict[str, Any]:
    """The sign-off of a new assessment, filled as far as it can be known in advance.

    The signed-in account is the first assessor and both dates are today. From the elder's
    last assessment the place (老人家中, a care home…) carries over; the second assessor is
    the partner of this account's last visit (assessors go out in pairs), else the elder's
    last second assessor, never the signed-in account itself. Handwritten signatures never
    carry over.
    """
    values: dict[str, Any] = {"sign.assessor_1": username,
                              "sign.assessor_date": today.isoformat(),
                              "sign.provider_date": today.isoformat()}
    place = (elder_last or {}).get("sign.place")
    if isinstance(place, str) and place.strip():
        values["sign.place"] = place
    for last in (own_last, elder_last):
        if not last:
            continue
        partners = [last.get("sign.assessor_1"), last.get("sign.assessor_2")]
        partner = next((p for p in partners if isinstance(p, str) and p.strip()
                        and p.casefold() != username.casefold()), None)
        if partner is not None:
            values["sign.assessor_2"] = partner
            break
    return values


def without_signatures(answers: Mapping[str, Any]) -> dict[str, Any]:
    """``answers`` less the handwritten signatures (a correction is signed anew)."""
    return {k: v for k, v in answers.items() if k not in SIGNATURE_KEYS}


def check_reason(reason: str) -> None:
    """Refuse an A.1.3 value the form does not offer."""
    if reason not in REASONS:
        raise InputRejected([Problem("A.1.3", "option",
                                     f"评估原因应为：{' / '.join(REASONS)}")])


def check_not_transferred(transferred_to: str | None) -> None:
    """Refuse a new assessment (or correction) of an elder the county moved to another
    township (``transferred_to`` names it): that township's assessors take it on."""
    if transferred_to is not None:
        raise InputRejected([Problem(
            "elder_id", "transferred",
            f"该老人已迁出至{transferred_to}，本机不能再为其新建评估或更正；"
            f"请由{transferred_to}的评估员办理")])
