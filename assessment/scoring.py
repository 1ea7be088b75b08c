"""Grading under a form: item scores → dimension subtotals → total → initial grade → C.4
reasons → final grade.

Everything comes from the :class:`~assessment.forms.Form` (items, allowed scores, bands,
change rules); a :class:`Grader` compiles the form once into lookup tables and closures so that
grading a complete assessment costs little more than a hand-written function would.

Inputs are two mappings:

* ``scores``: every Appendix B item key (``"B.1.1"`` …) to its integer score;
* ``facts``: the Appendix A answers and recorded states the change rules read, keyed by field
  key: single choices as the option text (``"A.5.11": "有"``, ``"A.2.14.1": "发生过2次"``,
  ``"B.3.9.state": "昏迷"``), multi choices as a collection of option texts (``"A.4.1"``).
  Absent facts count as not ticked (for counted fields: 0).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from assessment.errors import InputRejected, Problem
from assessment.forms import (
    AnyOf,
    Condition,
    ContainsAny,
    CountAtLeast,
    Equals,
    Form,
    default_form,
)

Facts = Mapping[str, object]


class GradeRaiseMode(StrEnum):
    """How the +1 raises of C.4 combine (decision D2)."""

    ONCE = "once"
    CUMULATIVE = "cumulative"


@dataclass(frozen=True, slots=True)
class GradingSettings:
    """Settings that change grading; the defaults are the project's decisions."""

    grade_raise_mode: GradeRaiseMode = GradeRaiseMode.ONCE


class GradeResult(NamedTuple):
    """The derived results C.1–C.5 of one complete assessment (immutable)."""

    dimension_keys: tuple[str, ...]
    subtotals: tuple[int, ...]
    total: int
    initial_grade: int
    reasons: tuple[str, ...]
    final_grade: int

    def subtotal(self, dimension_key: str) -> int:
        """The subtotal of one dimension (``"B.1"`` …)."""
        return self.subtotals[self.dimension_keys.index(dimension_key)]

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready form: subtotals by dimension key, total, grades, reason codes."""
        out: dict[str, object] = dict(zip(self.dimension_keys, self.subtotals, strict=True))
        out.update(total=self.total, initial_grade=self.initial_grade,
                   final_grade=self.final_grade, reasons=list(self.reasons))
        return out


_Check = Callable[[Facts], bool]


class Grader:
    """A form compiled for fast, repeated grading."""

    def __init__(self, form: Form | None = None, settings: GradingSettings | None = None) -> None:
        self.form = form if form is not None else default_form()
        self.settings = settings if settings is not None else GradingSettings()
        dims = self.form.dimensions
        self._dimension_keys = tuple(d.key for d in dims)
        # (key, dimension index, allowed scores) in standard order: the problem report's table.
        self._plan = tuple(
            (item.key, index, item.scores) for index, d in enumerate(dims) for item in d.items
        )
        # The same grouped by dimension: the hot loop's table.
        self._by_dimension = tuple(
            tuple((item.key, item.scores) for item in d.items) for d in dims
        )
        self._item_count = len(self._plan)
        self._band = [0] * (self.form.max_total + 1)
        for band in self.form.grades:
            for total in range(band.min_total, band.max_total + 1):
                self._band[total] = band.grade
        self._worst = max(band.grade for band in self.form.grades)
        self._rules = tuple(
            (rule.code, self._compile(rule.condition), rule.set_grade, rule.raise_by)
            for rule in self.form.change_rules
        )
        # Items whose score alone does not say which option was chosen (B.3.9 昏睡/昏迷).
        self._stated = tuple(
            (item.key, item.state_key,
             {score: item.states_for(score) for score in item.scores if item.states_for(score)})
            for item in self.form.items if item.state_key is not None
        )
        self._fact_fields = {
            f.key: f for f in self.form.fields if f.type in {"single", "multi"}
        }
        self._fact_options = {k: frozenset(f.option_texts()) for k, f in self._fact_fields.items()}

    def _compile(self, cond: Condition) -> _Check:
        """Turn a rule condition into a closure over the facts."""
        if isinstance(cond, Equals):
            field, value = cond.field, cond.value
            return lambda facts: facts.get(field) == value
        if isinstance(cond, ContainsAny):
            field2, values = cond.field, cond.values

            def contains_check(facts: Facts) -> bool:
                chosen = facts.get(field2)
                if chosen is None:
                    return False
                if type(chosen) is str:
                    return chosen in values
                return not values.isdisjoint(_as_collection(chosen))

            return contains_check
        if isinstance(cond, CountAtLeast):
            counts = {
                name: {o.text: o.count or 0 for o in self.form.info_field(name).options}
                for name in cond.fields
            }
            at_least = cond.at_least
            table = tuple(counts.items())

            def count_check(facts: Facts) -> bool:
                get = facts.get
                total = 0
                for name, per_option in table:
                    total += per_option.get(get(name), 0)  # type: ignore[call-overload]
                return total >= at_least

            return count_check
        assert isinstance(cond, AnyOf)
        parts = tuple(self._compile(c) for c in cond.conditions)

        def any_check(facts: Facts) -> bool:
            for part in parts:  # noqa: SIM110 - a plain loop is faster than any(genexpr)
                if part(facts):
                    return True
            return False

        return any_check

    def problems(self, scores: Mapping[str, object], facts: Facts) -> list[Problem]:
        """Every problem with the input, in standard order (empty when it can be graded)."""
        found: list[Problem] = []
        for key, _, allowed in self._plan:
            if key not in scores:
                found.append(Problem(key, "missing", "缺少该项评分（26 项须全部评定）"))
                continue
            value = scores[key]
            if isinstance(value, bool) or not isinstance(value, int):
                found.append(Problem(key, "type", f"评分应为整数，收到 {value!r}"))
            elif value not in allowed:
                found.append(Problem(
                    key, "range",
                    f"评分 {value} 不在允许的分值 {', '.join(map(str, sorted(allowed)))} 中",
                ))
        known = {key for key, _, _ in self._plan}
        found.extend(
            Problem(str(key), "unknown", "未知的评估项目")
            for key in scores if key not in known
        )
        found.extend(self._fact_problems(scores, facts))
        return found

    def _fact_problems(self, scores: Mapping[str, object], facts: Facts) -> list[Problem]:
        found: list[Problem] = []
        for item_key, state_key, states_by_score in self._stated:
            score = scores.get(item_key)
            state = facts.get(state_key)
            needed = states_by_score.get(score, ()) if isinstance(score, int) else ()
            if needed and state not in needed:
                found.append(Problem(state_key, "state",
                                     f"{item_key} 为 {score} 分时须记录为 {' 或 '.join(needed)}"))
            elif not needed and state is not None:
                found.append(Problem(state_key, "state",
                                     f"{item_key} 为 {score} 分时不应记录 {state}"))
        for key, value in facts.items():
            info = self._fact_fields.get(key)
            if info is None:
                continue
            allowed = set(info.option_texts())
            values = _as_collection(value) if info.type == "multi" else (value,)
            bad = [v for v in values if v not in allowed]
            if bad:
                found.append(Problem(key, "option", f"没有选项 {', '.join(map(str, bad))}"))
        return found

    def _facts_valid(self, facts: Facts) -> bool:
        """Quick check that every choice fact is one of its field's options."""
        options = self._fact_options
        for key, value in facts.items():
            allowed = options.get(key)
            if allowed is None:
                continue
            if type(value) is str:
                if value not in allowed:
                    return False
            elif not isinstance(value, Collection) or not allowed.issuperset(value):
                return False
        return True

    def grade(self, scores: Mapping[str, object], facts: Facts | None = None) -> GradeResult:
        """Grade one complete assessment; refuse incomplete or invalid input whole.

        Raises :class:`InputRejected` naming every field at fault.
        """
        facts = facts if facts is not None else {}
        subtotals: list[int] = []
        try:
            for dimension in self._by_dimension:
                subtotal = 0
                for key, allowed in dimension:
                    value = scores[key]
                    if type(value) is not int or value not in allowed:
                        raise _Invalid
                    subtotal += value
                subtotals.append(subtotal)
            if len(scores) != self._item_count:
                raise _Invalid
            for item_key, state_key, states_by_score in self._stated:
                state = facts.get(state_key)
                needed = states_by_score.get(scores[item_key])  # type: ignore[call-overload]
                if (state not in needed) if needed else (state is not None):
                    raise _Invalid
            if facts and not self._facts_valid(facts):
                raise _Invalid
        except (KeyError, _Invalid):
            raise InputRejected(self.problems(scores, facts)) from None
        total = sum(subtotals)
        initial = self._band[total]
        reasons: list[str] = []
        forced: int | None = None
        raises = 0
        any_raise = False
        if facts:
            for code, check, set_grade, raise_by in self._rules:
                if check(facts):
                    reasons.append(code)
                    if set_grade is not None:
                        forced = set_grade if forced is None else max(forced, set_grade)
                    elif raise_by:
                        raises += raise_by
                        any_raise = True
        if forced is not None:
            final = forced
        elif any_raise:
            step = raises if self.settings.grade_raise_mode is GradeRaiseMode.CUMULATIVE else 1
            final = min(self._worst, initial + step)
        else:
            final = initial
        return GradeResult(self._dimension_keys, tuple(subtotals), total, initial,
                           tuple(reasons), final)

    def reason_text(self, code: str) -> str:
        """The verbatim C.4 box text of a reason code."""
        for rule in self.form.change_rules:
            if rule.code == code:
                return rule.text
        raise KeyError(code)


def consistency_warnings(scores: Mapping[str, object], facts: Facts) -> list[Problem]:
    """Warnings the assessor should see, which do not block grading.

    The spec asks for a warning when A.5.11 昏迷 and B.3.9 disagree (either still ticks C.4
    box 1).
    """
    warnings: list[Problem] = []
    coma_a = facts.get("A.5.11") == "有"
    coma_b = scores.get("B.3.9") == 0 and facts.get("B.3.9.state") == "昏迷"
    if coma_a and not coma_b:
        warnings.append(Problem("B.3.9", "coma_mismatch",
                                "A.5.11 记录为昏迷，但 B.3.9 意识水平未记录为昏迷，请核对"))
    elif coma_b and facts.get("A.5.11") != "有":
        warnings.append(Problem("A.5.11", "coma_mismatch",
                                "B.3.9 意识水平记录为昏迷，但 A.5.11 昏迷未选“有”，请核对"))
    return warnings


class _Invalid(Exception):
    """Internal signal from the hot loop: fall back to the full problem report."""


def _as_collection(value: object) -> Collection[object]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Collection):
        return value
    return (value,)


def split_answers(
    form: Form, answers: Mapping[str, object]
) -> tuple[dict[str, object], dict[str, object]]:
    """Split one stored answer dict (all field keys) into (item scores, facts) for grading."""
    item_keys = {item.key for item in form.items}
    scores = {k: v for k, v in answers.items() if k in item_keys}
    facts = {k: v for k, v in answers.items() if k not in item_keys and v is not None}
    return scores, facts


def dimension_subtotals(form: Form, answers: Mapping[str, object]) -> dict[str, int | None]:
    """Each dimension's subtotal once all its items are answered (None until then).

    These are progress figures for the assessor while entering (a provisional C.1/C.2), not a
    result: the grade still needs all 26 items (§6.1). Answers that are not an allowed score
    leave their dimension open.
    """
    out: dict[str, int | None] = {}
    for dimension in form.dimensions:
        values = [answers.get(item.key) for item in dimension.items]
        allowed = all(type(value) is int and value in item.scores
                      for value, item in zip(values, dimension.items, strict=True))
        out[dimension.key] = sum(v for v in values if isinstance(v, int)) if allowed else None
    return out


def is_complete(form: Form, answers: Mapping[str, object]) -> bool:
    """True when every Appendix B item has an answer (grading is all-or-nothing, §6.1)."""
    return all(answers.get(item.key) is not None for item in form.items)
