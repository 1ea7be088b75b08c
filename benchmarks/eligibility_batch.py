"""Service-list matching: the vectorized batch engine and the per-person latency.

Workload 1 (``eligibility_batch``): ``size`` synthetic profiles (default 1,000,000) with
unknowns in every attribute, in a registry frame with categorical / nullable dtypes, matched
on one date against the provisional provincial list and both city lists through
:func:`assessment.eligibility.match_frame` — three-valued results, reason codes with their
Chinese lines, missing-attribute masks and tiered standards. Floor: the same rules written by
hand as pandas boolean expressions on the same frame, two-valued and without reasons (what a
developer would write for one fixed list). Goal: ratio ≤ 1.5 and ≤ 10 s on the 2-core machine.

Workload 2 (``eligibility_person``): one elder matched through the public per-person API
(:func:`assessment.eligibility.match_profile`, validation of the JSON-like profile included),
as the desktop elder page does. Floor: the same rules for the same person written by hand as
plain Python over the dict (no validation, no reasons) — a trivial dict lookup, which shows the
whole cost of the data-driven engine. Goal: ≤ 20 ms per person (the ratio is informative).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from assessment.eligibility import load_lists, match_frame, match_profile
from benchmarks.harness import median_of, record

AS_OF = dt.date(2026, 6, 1)
_RESIDENCE = ["140402", "140403", "140421", "140902", "140921", "140105", "140107", "140211"]
_LIVING = [
    "独居",
    "与配偶居住",
    "与子女居住",
    "与配偶居住、与子女居住",
    "养老机构",
    "与其他亲属居住",
]
_VETERAN = ["无", "优抚对象", "残疾军人、优抚对象", "烈士遗属"]


def _categorical(
    rng: np.random.Generator, values: list[str], size: int, unknown: float
) -> pd.Categorical[str]:
    codes = rng.integers(0, len(values), size)
    codes[rng.random(size) < unknown] = -1
    return pd.Categorical.from_codes(codes, categories=pd.Index(values))


def _boolean(rng: np.random.Generator, size: int, unknown: float) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(rng.random(size) < 0.3, rng.random(size) < unknown)


def _integers(rng: np.random.Generator, high: int, size: int, unknown: float) -> pd.Series[Any]:
    values = pd.array(rng.integers(0, high + 1, size), dtype="Int8")
    values[rng.random(size) < unknown] = pd.NA
    return pd.Series(values)


def synthetic_frame(size: int, seed: int = 42) -> pd.DataFrame:
    """A registry frame of ``size`` random elders with unknowns (flat attribute columns)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("1925-01-01")
    births = start + rng.integers(0, 365 * 55, size).astype("timedelta64[D]")
    births[rng.random(size) < 0.05] = np.datetime64("NaT")
    held = rng.random(size)
    held_known = pd.arrays.BooleanArray(held < 0.15, held > 0.9)
    grade = _integers(rng, 3, size, 0.1) + 1
    grade[~(held < 0.15)] = pd.NA
    category = _categorical(rng, ["视力", "肢体", "智力", "多重"], size, 0.0)
    category[~(held < 0.15)] = np.nan
    return pd.DataFrame(
        {
            "birth_date": births.astype("datetime64[s]"),
            "sex": _categorical(rng, ["男", "女"], size, 0.02),
            "residence_code": _categorical(rng, _RESIDENCE, size, 0.03),
            "area_type": _categorical(rng, ["urban", "rural"], size, 0.1),
            "assistance_status": _categorical(
                rng,
                ["tekun_dispersed", "tekun_centralized", "dibao", "dibao_edge", "none"],
                size,
                0.15,
            ),
            "econ_hardship_local": _boolean(rng, size, 0.3),
            "capability_grade": _integers(rng, 4, size, 0.2),
            "disability_cert.held": held_known,
            "disability_cert.category": category,
            "disability_cert.grade": grade,
            "living": _categorical(rng, _LIVING, size, 0.1),
            "children_count": _integers(rng, 5, size, 0.15),
            "children_away": _boolean(rng, size, 0.2),
            "fp_special_family": _categorical(rng, ["none", "shidu", "shangcan"], size, 0.2),
            "veteran_status": _categorical(rng, _VETERAN, size, 0.2),
            "ltc_insured": _boolean(rng, size, 0.25),
            "wants_central_care": _boolean(rng, size, 0.5),
            "wants_public_institution": _boolean(rng, size, 0.5),
            "dwelling": _categorical(rng, ["community", "community_bed", "institution"], size, 0.1),
        }
    )


def hand_written_frame(df: pd.DataFrame, as_of: dt.date) -> dict[str, pd.Series[bool]]:
    """The floor: the provincial and city rules by hand in pandas (eligible masks only)."""
    born = df["birth_date"]
    before = born.dt.month * 100 + born.dt.day > as_of.month * 100 + as_of.day
    age = as_of.year - born.dt.year - before.astype("Int64")
    status, grade = df["assistance_status"], df["capability_grade"]
    living, dwelling = df["living"], df["dwelling"]
    a60, a65, a70, a80 = age >= 60, age >= 65, age >= 70, age >= 80
    disabled = grade >= 1
    tekun = status.isin(["tekun_dispersed", "tekun_centralized"])
    econ = tekun | status.isin(["dibao", "dibao_edge"]) | df["econ_hardship_local"]
    severe = df["disability_cert.grade"].isin([1, 2])
    alone = living == "独居"
    empty = living.isin(["独居", "与配偶居住"])  # 空巢: alone or with the spouse only
    left = (df["area_type"] == "rural") & (df["children_count"] > 0) & df["children_away"]
    fp = df["fp_special_family"].isin(["shidu", "shangcan"])
    rules = {
        "N01": a60,
        "N02": a80,
        "N03": a60 & econ & (a80 | disabled),
        "N04": a60 & econ & disabled,
        "N05": a60 & tekun,
        "N06": a60 & tekun & df["wants_central_care"],
        "N07": a60 & (status == "dibao"),
        "N08": a60
        & econ
        & (empty | left | disabled | df["disability_cert.held"] | a80 | fp)
        & df["wants_public_institution"],
        "N09": a60 & fp,
        "N10": a60 & df["veteran_status"].isin(_VETERAN[1:]),
        "N11": a60 & (alone | empty | left | disabled | severe | fp),
        "N12": a60
        & (status == "tekun_dispersed")
        & (disabled | df["disability_cert.held"] | a80),
        "N13": a60 & disabled,
        "N14": df["ltc_insured"] & (grade >= 3),
        "N15": a65,
        "V2026": a60 & (grade >= 2),
    }
    gmfw = (dwelling == "community") & (
        a80 | (a60 & (status == "dibao") & disabled) | (a70 & (alone | empty))
    )
    cwbt = (dwelling == "community_bed") & grade.isin([1, 2, 3, 4])
    for prefix, code in (("1404", "C140400"), ("1409", "C140900")):
        city = df["residence_code"].str.startswith(prefix)
        rules[f"{code}-GMFW"] = city & gmfw
        rules[f"{code}-CWBT"] = city & cwbt
    return {key: mask.fillna(False).astype(bool) for key, mask in rules.items()}


PERSON: dict[str, Any] = {
    "birth_date": "1944-05-01",
    "residence_code": "140402",
    "area_type": "rural",
    "assistance_status": "dibao",
    "econ_hardship_local": False,
    "capability_grade": 2,
    "disability_cert": "none",
    "living": ["与配偶居住"],
    "children_count": 2,
    "children_away": True,
    "fp_special_family": "none",
    "veteran_status": [],
    "ltc_insured": False,
    "dwelling": "community",
}


def hand_written_person(p: dict[str, Any], as_of: dt.date) -> dict[str, bool]:
    """The per-person floor: the same rules by hand over the dict, no validation or reasons."""
    born = dt.date.fromisoformat(p["birth_date"])
    age = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
    grade, status, living = p["capability_grade"], p["assistance_status"], set(p["living"])
    disabled = grade >= 1
    tekun = status in ("tekun_dispersed", "tekun_centralized")
    econ = tekun or status in ("dibao", "dibao_edge") or p["econ_hardship_local"]
    empty = bool(living) and living <= {"独居", "与配偶居住"}
    alone = living == {"独居"}
    left = p["area_type"] == "rural" and p["children_count"] > 0 and p["children_away"]
    fp = p["fp_special_family"] != "none"
    city = p["residence_code"][:4] == "1404"
    return {
        "N02": age >= 80,
        "N04": age >= 60 and econ and disabled,
        "N11": age >= 60 and (alone or empty or left or disabled or fp),
        "V2026": age >= 60 and grade >= 2,
        "GMFW": city and p["dwelling"] == "community" and (age >= 80 or (age >= 70 and empty)),
        "CWBT": city and p["dwelling"] == "community_bed" and grade >= 1,
    }


def run(size: int = 1_000_000) -> list[dict[str, object]]:
    """Measure both workloads; ``size`` is the number of synthetic profiles in the batch."""
    lists = load_lists(Path("/nonexistent-yinling-lists"))
    frame = synthetic_frame(size)
    repeats = 3 if size >= 100_000 else 5
    figure = median_of(repeats, lambda: match_frame(frame, AS_OF, lists))
    floor = median_of(repeats, lambda: hand_written_frame(frame, AS_OF))
    batch = record(
        "eligibility_batch",
        figure,
        "s",
        floor,
        "ratio ≤ 1.5 and ≤ 10 s",
        profiles=size,
    )
    calls = 200
    per_person = median_of(3, lambda: [match_profile(PERSON, AS_OF, lists) for _ in range(calls)])
    started = time.perf_counter()
    for _ in range(calls * 10):
        hand_written_person(PERSON, AS_OF)
    person_floor = (time.perf_counter() - started) / (calls * 10)
    person = record(
        "eligibility_person",
        per_person / calls * 1000,
        "ms",
        person_floor * 1000,
        "≤ 20 ms",
    )
    return [batch, person]
