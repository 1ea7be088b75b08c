"""The registry frame built in parts (:func:`assessment.documents.frames.profiles_frame`)
equals the one of parsing every elder's whole profile, good and bad values alike.

The reference below is the per-elder construction the function replaced: the stored
attributes without empty values, the birth date, sex and grade of the elder's columns over
them, :func:`~assessment.eligibility.parse_profile` of the whole profile (an elder whose
profile is refused is left out and named), :func:`~assessment.eligibility.profiles_to_frame`.
"""

from __future__ import annotations

import json
import random
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assessment.documents.frames import IDENTITY_COLUMNS, profiles_frame
from assessment.eligibility import parse_profile, profiles_to_frame
from assessment.eligibility.vocabulary import load_vocabulary
from assessment.errors import InputRejected

VOCABULARY = load_vocabulary()
VALUES: dict[str, list[Any]] = {
    "living": [["独居"], ["与配偶居住"], [], ["独居", "与子女居住"], ["外星"], "独居", None],
    "assistance_status": ["dibao", "tekun_dispersed", "none", "最低生活保障对象", "nope", 3,
                          None],
    "area_type": ["rural", "urban", "城镇", None, True],
    "children_count": [0, 2, 31, -1, "2", True, 1.0, None],
    "children_away": [True, False, "yes", 1, 0, None],
    "disability_cert": ["none", "无残疾证", {"grade": 1}, {"grade": 9}, {"colour": 1}, 5,
                        None],
    "fp_special_family": ["none", "shidu", "bad", None],
    "econ_hardship_local": [True, False, None],
    "birth_date": ["1950-02-03", "1950-13-01", 7, None],
    "sex": ["男", "女", "other", None],
    "capability_grade": [0, 4, 7, None],
    "unknown_key": [1, None],
}


def reference(elders: pd.DataFrame, attributes: list[dict[str, Any]]) -> pd.DataFrame:
    births, sexes = elders["birth_date"].tolist(), elders["sex"].tolist()
    grades = pd.to_numeric(elders["current_grade"], errors="coerce").tolist()
    names = elders["name"].tolist()
    profiles, keep, skipped = [], [], []
    for index, attrs in enumerate(attributes):
        data = {k: v for k, v in attrs.items() if v is not None}
        birth, sex, grade = births[index], sexes[index], grades[index]
        if isinstance(birth, date):
            data["birth_date"] = birth.isoformat()[:10]
        if isinstance(sex, str):
            data["sex"] = sex
        if isinstance(grade, float) and grade == grade:
            data["capability_grade"] = int(grade)
        try:
            profiles.append(parse_profile(data, VOCABULARY))
        except InputRejected:
            skipped.append(str(names[index]))
            continue
        keep.append(index)
    frame = profiles_to_frame(profiles, VOCABULARY)
    rows = np.array(keep, dtype=np.intp)
    for column, source in IDENTITY_COLUMNS.items():
        if column in VOCABULARY.attributes:
            frame[column] = elders[source].to_numpy(dtype=object)[rows]
    frame = frame.reset_index(drop=True)
    frame.attrs["skipped"] = tuple(skipped)
    return frame


def elders_and_attributes(seed: int, n: int) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    rng = random.Random(seed)
    rows, attributes = [], []
    for i in range(n):
        attrs = {k: rng.choice(v) for k, v in VALUES.items() if rng.random() < 0.4}
        attributes.append(attrs)
        rows.append({
            "elder_id": f"e{i}", "name": f"老人{i}", "township": "一镇", "village": "一村",
            "birth_date": rng.choice([date(1940, 2, 29), date(1955, 7, 1), None]),
            "sex": rng.choice(["男", "女", "x", None]),
            "current_grade": rng.choice([0.0, 3.0, np.nan]),
        })
    return pd.DataFrame(rows), attributes


@pytest.mark.parametrize("seed", range(6))
def test_built_in_parts_equals_every_profile_parsed_whole(seed: int) -> None:
    elders, attributes = elders_and_attributes(seed, 300)
    expected = reference(elders, attributes)
    got = profiles_frame(elders, attributes, VOCABULARY)
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs["skipped"] == expected.attrs["skipped"]
    assert 0 < len(got) < len(elders)  # both kinds of elders are there
    # The county's stored JSON texts give the same frame.
    texts = [json.dumps(a, ensure_ascii=False) for a in attributes]
    pd.testing.assert_frame_equal(profiles_frame(elders, texts, VOCABULARY), expected)


def test_no_elders_gives_the_empty_frame() -> None:
    elders, _attributes = elders_and_attributes(0, 0)
    elders = pd.DataFrame(columns=["elder_id", "name", "township", "village", "birth_date",
                                   "sex", "current_grade"])
    expected = reference(elders, [])
    pd.testing.assert_frame_equal(profiles_frame(elders, [], VOCABULARY), expected)
