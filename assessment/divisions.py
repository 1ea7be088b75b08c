"""The bundled Shanxi administrative-division table (GB/T 2260 codes, current names).

Read once and shared: profile checks refuse a 常住地 code that is not a county-level unit of
the table, and the visit plan names villages' counties with it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from assessment.paths import resources_dir

#: Levels of the table that are county-level units (区、县、县级市).
COUNTY_LEVELS = frozenset({"county", "county_city", "district"})


@dataclass(frozen=True, slots=True)
class DivisionRow:
    """One row of the division table."""

    code: str
    name: str
    level: str
    parent: str


@lru_cache(maxsize=1)
def division_table() -> dict[str, DivisionRow]:
    """Every division of the bundled table, by code."""
    path = resources_dir() / "divisions" / "shanxi_divisions.tsv"
    with open(path, encoding="utf-8", newline="") as handle:
        return {
            row["code"]: DivisionRow(row["code"], row["name"], row["level"], row["parent_code"])
            for row in csv.DictReader(handle, delimiter="\t")
        }


@lru_cache(maxsize=1)
def legacy_codes() -> dict[str, tuple[str, ...]]:
    """Legacy (pre-reform) county codes → the current codes they became."""
    path = resources_dir() / "divisions" / "shanxi_legacy_codes.tsv"
    with open(path, encoding="utf-8", newline="") as handle:
        return {
            row["old_code"]: tuple(row["new_codes"].split("|"))
            for row in csv.DictReader(handle, delimiter="\t")
        }


@lru_cache(maxsize=1)
def county_codes() -> frozenset[str]:
    """County-level codes of the table, current and legacy (records made before a reform
    keep the code they were given; both lie in the same city)."""
    current = {c for c, row in division_table().items() if row.level in COUNTY_LEVELS}
    return frozenset(current | set(legacy_codes()))


def division_name(code: str) -> str | None:
    """The full Chinese name of a division code (``长治市潞州区``), or ``None`` when unknown.

    A county-level unit is named with its prefecture; a legacy code is named by the unit it
    became (its first successor), so that old records still read as places, not numbers.
    """
    table = division_table()
    row = table.get(code)
    if row is None:
        successors = legacy_codes().get(code)
        row = table.get(successors[0]) if successors else None
    if row is None:
        return None
    parent = table.get(row.parent)
    if row.level in COUNTY_LEVELS and parent is not None and parent.level == "prefecture":
        return parent.name + row.name
    return row.name
