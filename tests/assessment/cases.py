"""The spec's worked examples (gbt42195.md §9) as data shared by the scoring and CLI tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from assessment.forms import default_form

DEMENTIA = "痴呆F00～F03"
OTHER_MENTAL = "其他精神和行为障碍F04～F99"


def max_scores() -> dict[str, int]:
    """Every item at its best score."""
    return {item.key: item.max_score for item in default_form().items}


def zero(scores: dict[str, int], *keys: str) -> dict[str, int]:
    """A copy with the given items at 0."""
    out = dict(scores)
    for key in keys:
        out[key] = 0
    return out


def keys(prefix: str, first: int, last: int) -> list[str]:
    """Item keys prefix.first … prefix.last."""
    return [f"{prefix}.{i}" for i in range(first, last + 1)]


E21_SCORES = dict(zip(
    [item.key for item in default_form().items],
    [4, 4, 2, 4, 3, 3, 4, 3, 4, 3, 3, 1, 4, 3, 4, 3, 4, 4, 1, 1, 2, 1, 1, 3, 1, 3],
    strict=True,
))


@dataclass(frozen=True)
class Example:
    """One row of the worked-examples table."""

    name: str
    scores: dict[str, int]
    facts: Mapping[str, object] = field(default_factory=dict)
    subtotals: tuple[int, int, int, int] = (0, 0, 0, 0)
    total: int = 0
    initial: int = 0
    reasons: tuple[str, ...] = ()
    final_once: int = 0
    final_cumulative: int = 0


MAX = max_scores()
E03 = zero(MAX, *keys("B.1", 1, 6))
E05 = zero(MAX, *keys("B.1", 1, 8), *keys("B.2", 1, 3))
E07 = zero(MAX, *keys("B.1", 1, 8), *keys("B.2", 1, 4), "B.4.1", "B.4.3", "B.4.4", "B.4.5")
E24 = dict(E21_SCORES, **{"B.3.9": 0})
COMA: dict[str, object] = {"A.5.11": "有", "B.3.9.state": "昏迷"}

EXAMPLES = [
    Example("E01", MAX, {}, (32, 15, 28, 15), 90, 0, (), 0, 0),
    Example("E02", zero(MAX, "B.3.7"), {}, (32, 15, 27, 15), 89, 1, (), 1, 1),
    Example("E03", E03, {}, (8, 15, 28, 15), 66, 1, (), 1, 1),
    Example("E04", zero(E03, "B.3.7"), {}, (8, 15, 27, 15), 65, 2, (), 2, 2),
    Example("E05", E05, {}, (0, 3, 28, 15), 46, 2, (), 2, 2),
    Example("E06", zero(E05, "B.3.7"), {}, (0, 3, 27, 15), 45, 3, (), 3, 3),
    Example("E07", E07, {}, (0, 0, 28, 2), 30, 3, (), 3, 3),
    Example("E08", zero(E07, "B.3.7"), {}, (0, 0, 27, 2), 29, 4, (), 4, 4),
    Example("E09", dict.fromkeys(MAX, 0), {"B.3.9.state": "昏睡"}, (0, 0, 0, 0), 0, 4, (), 4, 4),
    Example("E10", zero(MAX, "B.3.9"), COMA, (32, 15, 26, 15), 88, 1, ("coma",), 4, 4),
    Example("E11", zero(MAX, "B.3.9"), {"B.3.9.state": "昏睡"}, (32, 15, 26, 15), 88, 1, (), 1,
            1),
    Example("E12", MAX, {"A.5.11": "有"}, (32, 15, 28, 15), 90, 0, ("coma",), 4, 4),
    Example("E13", MAX, {"A.4.1": [DEMENTIA]}, (32, 15, 28, 15), 90, 0, ("diagnosis",), 1, 1),
    Example("E14", zero(E05, "B.3.7"), {"A.4.1": [OTHER_MENTAL]}, (0, 3, 27, 15), 45, 3,
            ("diagnosis",), 4, 4),
    Example("E15", zero(E07, "B.3.7"), {"A.4.1": [DEMENTIA]}, (0, 0, 27, 2), 29, 4,
            ("diagnosis",), 4, 4),
    Example("E16", MAX, {"A.2.14.1": "发生过1次"}, (32, 15, 28, 15), 90, 0, (), 0, 0),
    Example("E17", MAX, {"A.2.14.1": "发生过2次"}, (32, 15, 28, 15), 90, 0, ("risk_events",),
            1, 1),
    Example("E18", MAX, {"A.2.14.1": "发生过1次", "A.2.14.3": "发生过1次"}, (32, 15, 28, 15), 90,
            0, ("risk_events",), 1, 1),
    Example("E19", MAX, {"A.2.14.2": "发生过3次及以上"}, (32, 15, 28, 15), 90, 0,
            ("risk_events",), 1, 1),
    Example("E20", MAX, {"A.4.1": [OTHER_MENTAL], "A.2.14.1": "发生过1次",
                         "A.2.14.3": "发生过1次"},
            (32, 15, 28, 15), 90, 0, ("diagnosis", "risk_events"), 1, 2),
    Example("E21", E21_SCORES, {}, (27, 11, 26, 9), 73, 1, (), 1, 1),
    Example("E22", E21_SCORES, {"A.4.1": [DEMENTIA]}, (27, 11, 26, 9), 73, 1, ("diagnosis",), 2,
            2),
    Example("E23", E21_SCORES, {"A.4.1": [DEMENTIA], "A.2.14.1": "发生过2次"}, (27, 11, 26, 9),
            73, 1, ("diagnosis", "risk_events"), 2, 3),
    Example("E24", E24, COMA, (27, 11, 24, 9), 71, 1, ("coma",), 4, 4),
    Example("E25", E24, {**COMA, "A.4.1": [DEMENTIA], "A.2.14.1": "发生过2次"}, (27, 11, 24, 9),
            71, 1, ("coma", "diagnosis", "risk_events"), 4, 4),
]
