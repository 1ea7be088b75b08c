"""The vectorized batch engine gives exactly the per-person results, reasons and missing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.eligibility import (
    ListRegistry,
    load_lists,
    load_vocabulary,
    make_plan,
    match_frame,
    parse_profile,
    profiles_to_frame,
)
from assessment.eligibility.evaluate import evaluate_profile
from assessment.errors import InputRejected
from benchmarks.eligibility_batch import run, synthetic_frame

VOCABULARY = load_vocabulary()
LISTS = load_lists(Path("/nonexistent-yinling-lists"))
RESIDENCES = ["140402", "140421", "140902", "140105"]
AS_OF_DATES = [dt.date(2025, 6, 1), dt.date(2026, 3, 1), dt.date(2024, 2, 29), dt.date(2023, 1, 1)]


def codes(name: str) -> list[str]:
    return list(VOCABULARY.attributes[name].codes)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


BIRTHS = st.one_of(
    st.dates(dt.date(1920, 1, 1), dt.date(1990, 12, 31)),
    st.sampled_from(
        [
            dt.date(1944, 2, 29),
            dt.date(1960, 2, 29),
            dt.date(1945, 6, 1),
            dt.date(1956, 3, 1),
            dt.date(1966, 2, 28),
        ]
    ),
).map(dt.date.isoformat)
CERTIFICATE = st.one_of(
    st.just("none"),
    st.fixed_dictionaries(
        {
            "category": maybe(st.sampled_from(codes("disability_cert.category"))),
            "grade": maybe(st.integers(1, 4)),
        }
    ),
)
PROFILE = st.fixed_dictionaries(
    {
        "birth_date": maybe(BIRTHS),
        "residence_code": maybe(st.sampled_from(RESIDENCES)),
        "area_type": maybe(st.sampled_from(codes("area_type"))),
        "assistance_status": maybe(st.sampled_from(codes("assistance_status"))),
        "econ_hardship_local": maybe(st.booleans()),
        "capability_grade": maybe(st.integers(0, 4)),
        "disability_cert": maybe(CERTIFICATE),
        "living": maybe(st.lists(st.sampled_from(codes("living")), max_size=3, unique=True)),
        "children_count": maybe(st.integers(0, 4)),
        "children_away": maybe(st.booleans()),
        "fp_special_family": maybe(st.sampled_from(codes("fp_special_family"))),
        "veteran_status": maybe(
            st.lists(st.sampled_from(codes("veteran_status")), max_size=2, unique=True)
        ),
        "ltc_insured": maybe(st.booleans()),
        "dwelling": maybe(st.sampled_from(codes("dwelling"))),
        "wants_central_care": maybe(st.booleans()),
        "wants_public_institution": maybe(st.booleans()),
    }
)


@settings(max_examples=100, deadline=None)
@given(profiles=st.lists(PROFILE, min_size=1, max_size=25), as_of=st.sampled_from(AS_OF_DATES))
def test_batch_equals_per_person(profiles: list[dict[str, Any]], as_of: dt.date) -> None:
    lists = LISTS
    parsed = [parse_profile(p, VOCABULARY) for p in profiles]
    batch = match_frame(profiles_to_frame(parsed, VOCABULARY), as_of, lists)
    plan = make_plan(lists, as_of)
    expected = [evaluate_profile(plan, p) for p in parsed]
    assert batch.to_match_results() == expected
    for item in ("N11", "C140400-GMFW"):
        table = batch.item_frame(item)
        for row, result in enumerate(expected):
            applies = [i for i in result.items if i.id == item]
            got = table.iloc[row]
            if applies:
                assert (got["result"], got["reasons"], got["missing"], got["standard"]) == (
                    applies[0].result,
                    applies[0].reasons,
                    applies[0].missing,
                    applies[0].standard,
                )
            else:
                assert pd.isna(got["result"])


def row_to_profile(row: pd.Series[Any]) -> dict[str, Any]:
    """Turn a synthetic-frame row back into a JSON-like profile."""
    profile: dict[str, Any] = {}
    for name, value in row.items():
        if pd.isna(value) or str(name).startswith("disability_cert."):
            continue
        if isinstance(value, pd.Timestamp):
            value = value.date().isoformat()
        elif name in ("living", "veteran_status"):
            value = [] if value == "无" else str(value).split("、")
        elif isinstance(value, np.generic):
            value = value.item()
        profile[str(name)] = value
    held = row["disability_cert.held"]
    if not pd.isna(held):
        grade = row["disability_cert.grade"]
        profile["disability_cert"] = (
            "none"
            if not held
            else {
                "category": row["disability_cert.category"],
                "grade": None if pd.isna(grade) else int(grade),
            }
        )
    return profile


def test_batch_on_a_typed_registry_frame_equals_per_person(lists: ListRegistry) -> None:
    frame = synthetic_frame(400, seed=7)
    as_of = dt.date(2026, 6, 1)
    batch = match_frame(frame, as_of, lists)
    plan = make_plan(lists, as_of)
    for row in range(len(frame)):
        profile = parse_profile(row_to_profile(frame.iloc[row]), VOCABULARY)
        assert batch.person(row) == evaluate_profile(plan, profile), row


def test_results_frame_has_one_categorical_column_per_item(lists: ListRegistry) -> None:
    batch = match_frame(synthetic_frame(50), dt.date(2026, 6, 1), lists)
    frame = batch.results_frame()
    assert "N02" in frame.columns
    assert "C140900-CWBT" in frame.columns
    assert set(frame["N02"].dropna().unique()) <= {"eligible", "not_eligible", "undetermined"}


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("assistance_status", ["dibao", "rich"]),
        ("capability_grade", [1, 9]),
        ("birth_date", ["1950-01-01", "1950-02-30"]),
        ("living", ["独居", "在月球"]),
        ("colour", ["red", "blue"]),
    ],
)
def test_invalid_frame_values_are_refused(
    lists: ListRegistry, column: str, values: list[Any]
) -> None:
    frame = pd.DataFrame({column: values})
    with pytest.raises(InputRejected) as caught:
        match_frame(frame, dt.date(2025, 6, 1), lists)
    assert caught.value.problems[0].field == column


def test_benchmark_module_runs_small() -> None:
    lines = run(size=300)
    assert [line["name"] for line in lines] == ["eligibility_batch", "eligibility_person"]
    assert all({"figure", "unit", "floor", "ratio", "goal"} <= set(line) for line in lines)
