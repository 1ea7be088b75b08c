"""The tiers of a whole registry in one pass agree, row by row, with the per-person
calculator: same tier, same 待核实, same attributes to ask about — for generated elders with
unknowns, values the vocabulary refuses, odd birth dates and several dates."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from assessment.records.demo import generate
from assessment.visits.plans import load_plans
from assessment.visits.tierbatch import batch_tiers, read_keys, tier_frame
from assessment.visits.tiers import TierCalculator

_SPOILERS: list[tuple[str, Any]] = [
    ("living", ["在月球居住"]),  # not a value of the vocabulary
    ("living", []),  # recorded as empty: unknown
    ("capability_grade", 7),
    ("capability_grade", True),
    ("assistance_status", "富裕"),
    ("children_count", "三"),
    ("disability_cert", {"category": "肢体", "grade": 9}),
    ("disability_cert", "none"),
    ("disability_cert", {"grade": 1}),
    ("fp_special_family", None),
    ("no_such_attribute", 1),
    ("birth_date", "1950-02-30"),
    ("birth_date", "不详"),
    ("birth_date", None),
    ("birth_date", "2030-01-01"),  # after the date: no age rule holds
    ("birth_date", dt.date(1936, 2, 29)),
]


def elders(count: int, seed: int) -> list[dict[str, Any]]:
    """Stored-form profiles of generated elders, some spoiled on purpose."""
    profiles, _ = generate(count, seed, dt.date(2026, 12, 1))
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for profile in profiles:
        number = str(profile.id_number)
        data: dict[str, Any] = dict(profile.attributes)
        data["birth_date"] = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        data["sex"] = "男" if int(number[16]) % 2 else "女"
        grade = rng.choice([None, 0, 1, 2, 3, 4])
        if grade is not None:
            data["capability_grade"] = grade
        if rng.random() < 0.2:
            data["living"] = rng.choice([["独居"], ["与配偶居住"], ["与子女居住"]])
        if rng.random() < 0.25:
            key, value = rng.choice(_SPOILERS)
            data[key] = value
        if rng.random() < 0.1:
            data.pop(rng.choice(sorted(data)), None)
        out.append(data)
    return out


@pytest.mark.parametrize(("seed", "as_of"), [
    (1, dt.date(2026, 12, 6)), (2, dt.date(2020, 3, 1)), (3, dt.date(2030, 2, 28)),
])
def test_batch_tiers_equal_the_per_person_tiers(seed: int, as_of: dt.date) -> None:
    plan = load_plans().in_force(as_of)
    profiles = elders(600, seed)
    batch = batch_tiers(plan, as_of, tier_frame(profiles, plan.vocabulary, as_of))
    narrow = batch_tiers(plan, as_of, tier_frame(profiles, plan.vocabulary, as_of,
                                                 read_keys(plan)))
    calculator = TierCalculator(plan, as_of)
    labels: set[str] = set()
    for row, profile in enumerate(profiles):
        expected = calculator.tier_of(profile)
        assert batch.result(row) == expected, (row, profile)
        assert narrow.result(row) == expected, (row, profile)
        assert bool(batch.in_plan[row]) == expected.in_plan
        labels.add(expected.label)
    # The sample reaches every outcome, so the comparison means something.
    assert labels >= {"高风险", "重点", "一般", "待核实", ""}


def test_an_empty_registry_has_no_tiers() -> None:
    as_of = dt.date(2026, 12, 6)
    plan = load_plans().in_force(as_of)
    batch = batch_tiers(plan, as_of, tier_frame([], plan.vocabulary, as_of))
    assert len(batch) == 0
    assert not batch.in_plan.any()
