"""Grading: the spec's worked examples, every band boundary and change rule, refusals, and
properties over random complete assessments."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.errors import InputRejected
from assessment.forms import default_form
from assessment.scoring import (
    Grader,
    GradeRaiseMode,
    GradingSettings,
    consistency_warnings,
    is_complete,
    split_answers,
)
from tests.assessment.cases import DEMENTIA, EXAMPLES, MAX, OTHER_MENTAL, Example

ONCE = Grader()
CUMULATIVE = Grader(settings=GradingSettings(GradeRaiseMode.CUMULATIVE))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_worked_examples(example: Example) -> None:
    result = ONCE.grade(example.scores, example.facts)
    assert result.subtotals == example.subtotals
    assert result.total == example.total
    assert result.initial_grade == example.initial
    assert result.reasons == example.reasons
    assert result.final_grade == example.final_once
    assert CUMULATIVE.grade(example.scores, example.facts).final_grade == example.final_cumulative


def _with_total(total: int) -> dict[str, int]:
    """A complete assessment summing to ``total`` (items lowered in standard order)."""
    scores = dict(MAX)
    deficit = 90 - total
    for item in default_form().items:
        cut = min(deficit, scores[item.key])
        scores[item.key] -= cut
        deficit -= cut
    assert sum(scores.values()) == total
    return scores


@pytest.mark.parametrize(
    ("total", "grade"),
    [(90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3), (29, 4), (0, 4)],
)
def test_band_boundaries(total: int, grade: int) -> None:
    scores = _with_total(total)
    facts = {"B.3.9.state": "昏睡"} if scores["B.3.9"] == 0 else {}
    result = ONCE.grade(scores, facts)
    assert (result.total, result.initial_grade, result.final_grade) == (total, grade, grade)


def test_both_mental_options_are_one_reason() -> None:
    result = CUMULATIVE.grade(MAX, {"A.4.1": [DEMENTIA, OTHER_MENTAL]})
    assert result.reasons == ("diagnosis",)
    assert result.final_grade == 1


def test_mental_code_typed_into_other_does_not_trigger() -> None:
    result = ONCE.grade(MAX, {"A.4.1": ["其他"], "A.4.1.note": "F20 精神分裂症"})
    assert result.reasons == ()


def test_risk_event_threshold_sums_across_types() -> None:
    one_each = {f"A.2.14.{i}": "发生过1次" for i in (4, 5)}
    assert ONCE.grade(MAX, one_each).reasons == ("risk_events",)
    assert ONCE.grade(MAX, {"A.2.14.5": "发生过1次"}).reasons == ()


def test_raises_capped_at_worst_grade_in_both_modes() -> None:
    scores = _with_total(29)
    facts = {"A.4.1": [DEMENTIA], "A.2.14.1": "发生过2次"}
    assert ONCE.grade(scores, facts).final_grade == 4
    assert CUMULATIVE.grade(scores, facts).final_grade == 4
    mid = _with_total(40)
    assert CUMULATIVE.grade(mid, facts).final_grade == 4
    assert ONCE.grade(mid, facts).final_grade == 4
    high = _with_total(70)
    assert CUMULATIVE.grade(high, facts).final_grade == 3
    assert ONCE.grade(high, facts).final_grade == 2


def test_stupor_is_not_coma_and_warnings_flag_disagreement() -> None:
    scores = dict(MAX, **{"B.3.9": 0})
    assert ONCE.grade(scores, {"B.3.9.state": "昏睡"}).final_grade == 1
    warned = consistency_warnings(scores, {"B.3.9.state": "昏迷", "A.5.11": "无"})
    assert [w.field for w in warned] == ["A.5.11"]
    warned = consistency_warnings(MAX, {"A.5.11": "有"})
    assert [w.field for w in warned] == ["B.3.9"]
    assert consistency_warnings(scores, {"B.3.9.state": "昏迷", "A.5.11": "有"}) == []


def test_refuses_incomplete_and_invalid_input_naming_every_field() -> None:
    scores: dict[str, object] = dict(MAX)
    del scores["B.1.1"]
    scores["B.2.4"] = 4
    scores["B.3.7"] = True
    scores["B.4.1"] = "2"
    scores["B.9.9"] = 1
    with pytest.raises(InputRejected) as caught:
        ONCE.grade(scores)
    found = {(p.field, p.code) for p in caught.value.problems}
    assert found == {("B.1.1", "missing"), ("B.2.4", "range"), ("B.3.7", "type"),
                     ("B.4.1", "type"), ("B.9.9", "unknown")}


def test_b39_zero_needs_its_state_and_other_scores_refuse_one() -> None:
    with pytest.raises(InputRejected, match="昏睡 或 昏迷"):
        ONCE.grade(dict(MAX, **{"B.3.9": 0}))
    with pytest.raises(InputRejected, match="不应记录"):
        ONCE.grade(MAX, {"B.3.9.state": "昏迷"})


def test_fact_values_must_be_options() -> None:
    with pytest.raises(InputRejected) as caught:
        ONCE.grade(MAX, {"A.2.14.1": "两次", "A.4.1": ["痴呆"]})
    assert {p.field for p in caught.value.problems} == {"A.2.14.1", "A.4.1"}


def test_split_answers_and_completeness() -> None:
    form = default_form()
    answers: dict[str, object] = {**MAX, "A.5.11": "无", "A.1.3": "首次评估", "A.3.1": None}
    scores, facts = split_answers(form, answers)
    assert scores == MAX
    assert facts == {"A.5.11": "无", "A.1.3": "首次评估"}
    assert is_complete(form, answers)
    assert not is_complete(form, {**MAX, "B.1.1": None})


item_scores = st.fixed_dictionaries(
    {item.key: st.sampled_from(sorted(item.scores)) for item in default_form().items}
)
facts_strategy = st.fixed_dictionaries(
    {},
    optional={
        "A.5.11": st.sampled_from(["无", "有"]),
        "A.4.1": st.lists(st.sampled_from([DEMENTIA, OTHER_MENTAL, "高血压病I10～I15"]),
                          unique=True),
        **{f"A.2.14.{i}": st.sampled_from(["无", "发生过1次", "发生过2次", "发生过3次及以上"])
           for i in range(1, 6)},
    },
)


def _state(scores: dict[str, int], facts: dict[str, object], coma_b: bool) -> dict[str, object]:
    if scores["B.3.9"] == 0:
        return {**facts, "B.3.9.state": "昏迷" if coma_b else "昏睡"}
    return facts


@settings(max_examples=300, deadline=None)
@given(item_scores, facts_strategy, st.booleans())
def test_properties_of_random_assessments(scores: dict[str, int], facts: dict[str, object],
                                          coma_b: bool) -> None:
    facts = _state(scores, facts, coma_b)
    result = ONCE.grade(scores, facts)
    form = default_form()
    for dim, subtotal in zip(form.dimensions, result.subtotals, strict=True):
        assert subtotal == sum(scores[item.key] for item in dim.items)
    assert result.total == sum(scores.values())
    assert result.final_grade >= result.initial_grade
    assert result.final_grade <= 4
    if "coma" in result.reasons:
        assert result.final_grade == 4
    cumulative = CUMULATIVE.grade(scores, facts)
    assert cumulative.final_grade >= result.final_grade


@settings(max_examples=200, deadline=None)
@given(item_scores, st.sampled_from([i.key for i in default_form().items]))
def test_initial_grade_never_improves_as_total_falls(scores: dict[str, int], key: str) -> None:
    facts = _state(scores, {}, False)
    before = ONCE.grade(scores, facts)
    if scores[key] == 0:
        return
    lowered = dict(scores, **{key: scores[key] - 1})
    after = ONCE.grade(lowered, _state(lowered, {}, False))
    assert after.total == before.total - 1
    assert after.initial_grade >= before.initial_grade
