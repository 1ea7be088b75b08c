"""Bulk reads of the registry into pandas frames (statistics, rosters, visit plans).

One read of the elders table (and of the finalized and superseded assessments) for the
documents and use cases that work on the whole registry at once; they get frames through
:meth:`assessment.records.elders.Elders.tables` and never query the tables
themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select

from assessment.records.api import AssessmentStatus
from assessment.records.schema import Assessment, Elder
from assessment.records.store import Store
from assessment.registry.status import active_on as on_roll

ELDER_COLUMNS = ("elder_id", "name", "township", "village", "sex", "birth_date",
                 "current_grade", "last_assessed", "due_on", "left_on", "transferred_to")
ASSESSMENT_COLUMNS = ("assessment_id", "elder_id", "reference_date", "reason", "final_grade")


@dataclass(frozen=True, slots=True)
class RegistryTables:
    """The elders (:data:`ELDER_COLUMNS`), their finalized and superseded assessments
    (:data:`ASSESSMENT_COLUMNS`) and each elder's attribute dict, in elder order."""

    elders: pd.DataFrame
    assessments: pd.DataFrame
    attributes: list[dict[str, Any]]


def read_registry(store: Store, active_on: date | None = None, *,
                  with_transferred: bool = True) -> RegistryTables:
    """Every elder (only those on the roll on ``active_on`` when given; without the ones
    transferred away unless ``with_transferred``) with their assessments."""
    query = select(
        Elder.id, Elder.name, Elder.township, Elder.village, Elder.sex, Elder.birth_date,
        Elder.current_grade, Elder.last_assessed, Elder.due_on, Elder.left_on,
        Elder.transferred_to, Elder.attributes)
    if active_on is not None:
        query = query.where(on_roll(Elder.left_on, active_on))
    if not with_transferred:
        query = query.where(Elder.transferred_to.is_(None))
    with store.connect() as conn:
        rows = conn.execute(query).all()
        done = conn.execute(select(
            Assessment.id, Assessment.elder_id, Assessment.reference_date, Assessment.reason,
            Assessment.final_grade,
        ).where(Assessment.status.in_([AssessmentStatus.FINALIZED.value,
                                       AssessmentStatus.SUPERSEDED.value]))).all()
    elders = pd.DataFrame([r[:11] for r in rows], columns=list(ELDER_COLUMNS))
    assessments = pd.DataFrame(done, columns=list(ASSESSMENT_COLUMNS))
    return RegistryTables(elders, assessments, [dict(r[11] or {}) for r in rows])
