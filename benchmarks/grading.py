"""Grading throughput: the data-driven engine against a hand-written function for this form.

Workload: 100,000 random complete assessments (with random Appendix A facts) graded through
the public API (:meth:`assessment.scoring.Grader.grade`). Floor: a function written by hand for
GB/T 42195-2022 only, doing the same range checks, sums, band lookup and the three C.4 rules.
Goal: ratio ≤ 2.
"""

from __future__ import annotations

import random

from assessment.forms import default_form
from assessment.scoring import Grader
from benchmarks.harness import median_of, record

_B1 = ("B.1.1", "B.1.2", "B.1.3", "B.1.4", "B.1.5", "B.1.6", "B.1.7", "B.1.8")
_B2 = ("B.2.1", "B.2.2", "B.2.3")
_B3 = ("B.3.1", "B.3.2", "B.3.3", "B.3.4", "B.3.5", "B.3.6")
_B4 = ("B.4.3", "B.4.5")
_R04 = frozenset(range(5))
_R03 = frozenset(range(4))
_R02 = frozenset(range(3))
_R01 = frozenset(range(2))
_EVENTS = {"无": 0, "发生过1次": 1, "发生过2次": 2, "发生过3次及以上": 3}
_MENTAL = frozenset({"痴呆F00～F03", "其他精神和行为障碍F04～F99"})
_EVENT_KEYS = ("A.2.14.1", "A.2.14.2", "A.2.14.3", "A.2.14.4", "A.2.14.5")
_YES_NO = frozenset({"无", "有"})
# The 23 A.4.1 options (constants of this one form, taken from it once).
_DIAGNOSES = frozenset(default_form().info_field("A.4.1").option_texts())


def hand_written(scores: dict[str, object], facts: dict[str, object]) -> tuple[object, ...]:
    """The floor: GB/T 42195-2022 graded by hand, with the same checks as the engine."""
    if len(scores) != 26:
        raise ValueError("items")
    b1 = 0
    for key in _B1:
        v = scores[key]
        if type(v) is not int or v not in _R04:
            raise ValueError(key)
        b1 += v
    b2 = 0
    for key in _B2:
        v = scores[key]
        if type(v) is not int or v not in _R04:
            raise ValueError(key)
        b2 += v
    v = scores["B.2.4"]
    if type(v) is not int or v not in _R03:
        raise ValueError("B.2.4")
    b2 += v
    b3 = 0
    for key in _B3:
        v = scores[key]
        if type(v) is not int or v not in _R04:
            raise ValueError(key)
        b3 += v
    for key in ("B.3.7", "B.3.8"):
        v = scores[key]
        if type(v) is not int or v not in _R01:
            raise ValueError(key)
        b3 += v
    v = scores["B.3.9"]
    if type(v) is not int or v not in _R02:
        raise ValueError("B.3.9")
    state = facts.get("B.3.9.state")
    if (v == 0) != (state in ("昏睡", "昏迷")):
        raise ValueError("B.3.9.state")
    b3 += v
    b4 = 0
    for key in ("B.4.1", "B.4.2"):
        v = scores[key]
        if type(v) is not int or v not in _R02:
            raise ValueError(key)
        b4 += v
    v = scores["B.4.4"]
    if type(v) is not int or v not in _R03:
        raise ValueError("B.4.4")
    b4 += v
    for key in _B4:
        v = scores[key]
        if type(v) is not int or v not in _R04:
            raise ValueError(key)
        b4 += v
    if facts.get("A.5.11", "无") not in _YES_NO:
        raise ValueError("A.5.11")
    if not _DIAGNOSES.issuperset(facts.get("A.4.1", ())):  # type: ignore[arg-type]
        raise ValueError("A.4.1")
    events = 0
    for key in _EVENT_KEYS:
        count = _EVENTS.get(facts.get(key, "无"))  # type: ignore[call-overload]
        if count is None:
            raise ValueError(key)
        events += count
    total = b1 + b2 + b3 + b4
    initial = 0 if total == 90 else 1 if total >= 66 else 2 if total >= 46 else 3 if total >= 30 \
        else 4
    reasons = []
    if facts.get("A.5.11") == "有" or state == "昏迷":
        reasons.append("coma")
    if not _MENTAL.isdisjoint(facts.get("A.4.1", ())):  # type: ignore[arg-type]
        reasons.append("diagnosis")
    if events >= 2:
        reasons.append("risk_events")
    if "coma" in reasons:
        final = 4
    elif reasons:
        final = min(4, initial + 1)
    else:
        final = initial
    return (b1, b2, b3, b4), total, initial, tuple(reasons), final


def make_cases(size: int, seed: int = 42) -> list[tuple[dict[str, object], dict[str, object]]]:
    """Random complete assessments with random Appendix A facts."""
    rng = random.Random(seed)
    items = default_form().items
    events = list(_EVENTS)
    cases: list[tuple[dict[str, object], dict[str, object]]] = []
    for _ in range(size):
        scores: dict[str, object] = {i.key: rng.choice(sorted(i.scores)) for i in items}
        facts: dict[str, object] = {
            "A.5.11": "有" if rng.random() < 0.02 else "无",
            "A.4.1": ["痴呆F00～F03"] if rng.random() < 0.1 else ["高血压病I10～I15"],
        }
        for i in range(1, 6):
            facts[f"A.2.14.{i}"] = rng.choice(events) if rng.random() < 0.2 else "无"
        if scores["B.3.9"] == 0:
            facts["B.3.9.state"] = rng.choice(["昏睡", "昏迷"])
        cases.append((scores, facts))
    return cases


def run(size: int = 100_000) -> list[dict[str, object]]:
    """Grade ``size`` assessments both ways; return the benchmark line."""
    cases = make_cases(size)
    grader = Grader()
    grade = grader.grade
    # Both must agree before their speed is compared.
    for scores, facts in cases[:2000]:
        result = grade(scores, facts)
        expected = hand_written(scores, facts)
        got = (result.subtotals, result.total, result.initial_grade, result.reasons,
               result.final_grade)
        if got != expected:
            raise AssertionError(f"engine and floor disagree: {got} != {expected}")

    def engine() -> None:
        for scores, facts in cases:
            grade(scores, facts)

    def floor() -> None:
        for scores, facts in cases:
            hand_written(scores, facts)

    engine_s = median_of(3, engine)
    floor_s = median_of(3, floor)
    return [record("grading_100k", engine_s, "s", floor_s, "ratio <= 2", assessments=size,
                   per_assessment_us=round(engine_s / size * 1e6, 2))]
