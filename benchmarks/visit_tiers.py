"""探访关爱 tiers of a whole registry: the batch computation behind the visit plan and the rate.

Workload (``visit_tiers``): ``size`` generated elders (the demo generator's stored attributes,
birth dates from their ID numbers, grades 0–4 or unknown) given as the store hands them to
:func:`assessment.visits.measure.plan_rows`; the tier of each on one date under the shipped
plan, from the stored form: :func:`assessment.visits.tierbatch.tier_frame` (each distinct
value validated once) then :func:`~assessment.visits.tierbatch.batch_tiers` (every tier rule
once over all rows, the attributes to ask about). Floor: batch eligibility matching of the
same elders — the statistics' reader (:func:`assessment.documents.frames.profiles_frame`)
and :func:`assessment.eligibility.match_frame` against the lists in force — the same rule
language on the same people. ``per_person_s`` beside it: the per-person calculator over the
same elders (what the plan did before; measured up to 20,000 elders). Goal: ratio ≤ 1.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pandas as pd

from assessment.documents.frames import profiles_frame
from assessment.eligibility import load_lists, match_frame
from assessment.records.demo import generate
from assessment.visits.measure import stored_profile
from assessment.visits.plans import load_plans
from assessment.visits.tierbatch import TierColumns, batch_tiers, read_keys, tier_frame
from assessment.visits.tiers import TierCalculator
from benchmarks.harness import median_of, record

AS_OF = dt.date(2026, 12, 6)
PER_PERSON_LIMIT = 20_000


def registry(size: int, seed: int = 14) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Elders as :meth:`assessment.records.visits.VisitBook.registry` returns them."""
    profiles, _ = generate(size, seed, AS_OF)
    rng = random.Random(seed)
    rows = []
    for p in profiles:
        number = str(p.id_number)
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        rows.append((p.elder_id, p.name, p.township, p.village,
                     "男" if int(number[16]) % 2 else "女", birth,
                     rng.choice([None, 0, 0, 1, 1, 2, 3, 4])))
    elders = pd.DataFrame(rows, columns=["elder_id", "name", "township", "village", "sex",
                                         "birth_date", "current_grade"])
    return elders, [dict(p.attributes) for p in profiles]


def run(size: int = 100_000) -> list[dict[str, object]]:
    """Measure the batch tiers against batch eligibility matching of the same elders."""
    elders, attributes = registry(size)
    plan = load_plans().in_force(AS_OF)
    lists = load_lists(Path("/nonexistent-yinling-lists"))
    records = list(elders.itertuples(index=False))

    def tiers() -> TierColumns:
        profiles = [stored_profile(row, attributes[n]) for n, row in enumerate(records)]
        frame = tier_frame(profiles, plan.vocabulary, AS_OF, read_keys(plan))
        return batch_tiers(plan, AS_OF, frame)

    def matching() -> object:
        return match_frame(profiles_frame(elders, attributes, lists.vocabulary), AS_OF, lists)

    def per_person() -> object:
        calculator = TierCalculator(plan, AS_OF)
        return [calculator.tier_of(stored_profile(row, attributes[n]))
                for n, row in enumerate(records)]

    repeats = 3 if size >= 20_000 else 5
    figure = median_of(repeats, tiers)
    floor = median_of(repeats, matching)
    before = median_of(3, per_person) if size <= PER_PERSON_LIMIT else None
    in_plan = int(tiers().in_plan.sum())
    return [record("visit_tiers", figure, "s", floor, "ratio ≤ 1", elders=size,
                   in_plan=in_plan,
                   per_person_s=None if before is None else round(before, 6))]
