"""Service-list matching from the laptop store: reading the rows into a frame counts too.

* ``eligibility_store``: the township rosters' pipeline on a demo township of ``size``
  elders (:func:`assessment.usecases.rosters.registry_frame`, which reads every elder from
  the encrypted store into the registry frame, then
  :func:`assessment.eligibility.match_frame`: three-valued results, reasons, missing facts).
  Floor: the plainest code doing the same job: one ``SELECT`` of the same elders from the
  same store with the raw driver, the attribute JSON parsed, a typed pandas frame built from
  the rows, then the rules written by hand in pandas (``hand_written_frame`` of the
  ``eligibility_batch`` workload: two-valued, no reasons). Each side median of three.
  Goal: ratio ≤ 1.5.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.eligibility_batch import AS_OF, hand_written_frame
from benchmarks.gui_startup import demo_database
from benchmarks.harness import MIN_RUNS, median_of, record

_FLAGS = ("econ_hardship_local", "children_away", "ltc_insured", "wants_central_care",
          "wants_public_institution")
_CATEGORIES = ("sex", "residence_code", "area_type", "assistance_status", "living",
               "fp_special_family", "veteran_status", "dwelling", "disability_cert.category")


def _first(value: Any) -> Any:
    """A list attribute's first value (what the hand-written rules compare)."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def bare_frame(folder: Path, key: bytes) -> pd.DataFrame:
    """The floor's reading: the elders' columns and attributes straight from the file."""
    from assessment.records.database import connect_raw
    from assessment.records.packing import unpack

    conn = connect_raw(folder, key)
    try:
        rows = conn.execute(
            "SELECT e.birth_date, e.sex, e.current_grade, d.attributes FROM elders e "
            "JOIN elder_details d ON d.elder_num = e.num ORDER BY e.num").fetchall()
    finally:
        conn.close()
    records = []
    for birth, sex, grade, stored in rows:
        attrs = json.loads(unpack(stored)) if stored else {}
        cert = attrs.get("disability_cert")
        cert = cert if isinstance(cert, dict) else {}
        records.append({
            "birth_date": birth, "sex": sex, "capability_grade": grade,
            "residence_code": attrs.get("residence_code"), "area_type": attrs.get("area_type"),
            "assistance_status": attrs.get("assistance_status"),
            "econ_hardship_local": attrs.get("econ_hardship_local"),
            "disability_cert.held": cert.get("held"),
            "disability_cert.category": cert.get("category"),
            "disability_cert.grade": cert.get("grade"),
            "living": _first(attrs.get("living")),
            "children_count": attrs.get("children_count"),
            "children_away": attrs.get("children_away"),
            "fp_special_family": attrs.get("fp_special_family"),
            "veteran_status": _first(attrs.get("veteran_status")),
            "ltc_insured": attrs.get("ltc_insured"),
            "wants_central_care": attrs.get("wants_central_care"),
            "wants_public_institution": attrs.get("wants_public_institution"),
            "dwelling": attrs.get("dwelling"),
        })
    frame = pd.DataFrame.from_records(records)
    frame["birth_date"] = pd.to_datetime(frame["birth_date"], errors="coerce")
    for column in ("capability_grade", "children_count", "disability_cert.grade"):
        frame[column] = frame[column].astype("Int64")
    for column in (*_FLAGS, "disability_cert.held"):
        frame[column] = frame[column].astype("boolean")
    for column in _CATEGORIES:
        frame[column] = frame[column].astype("category")
    return frame


def run(size: int = 100_000) -> list[dict[str, object]]:
    """Both sides on the demo township of ``size`` elders."""
    from assessment.documents.sources import workspace_lists
    from assessment.eligibility import match_frame
    from assessment.records.datadir import database_path, keyring_path
    from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR
    from assessment.records.keyring import Keyring
    from assessment.records.workspace import Workspace
    from assessment.usecases.rosters import registry_frame

    folder = demo_database(size)
    workspace = Workspace.open(folder, DEMO_SUPERVISOR, DEMO_PASSWORD)
    try:
        registry = workspace_lists(workspace)
        key = Keyring.load(keyring_path(folder)).unlock(DEMO_SUPERVISOR, DEMO_PASSWORD)

        def product() -> object:
            read = registry_frame(workspace, registry)
            return match_frame(read.frame, AS_OF, registry)

        def floor() -> object:
            return hand_written_frame(bare_frame(database_path(folder), key), AS_OF)

        figure = median_of(MIN_RUNS, product)
        bare = median_of(MIN_RUNS, floor)
    finally:
        workspace.close()
    return [record("eligibility_store", figure, "s", bare, "ratio ≤ 1.5", elders=size)]


if __name__ == "__main__":
    import sys

    for line in run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000):
        print(json.dumps(line, ensure_ascii=False))
