"""Statistics input frames read from a laptop's workspace (read-only).

Uses the workspace's engine for one bulk read of the elders and assessments tables (the
facade sanctions read-only tools on :attr:`Workspace.engine`), then matches every elder
against the service lists in force with the vectorized eligibility engine.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select

from assessment.documents.statistics import StatisticsInput
from assessment.errors import InputRejected


def elder_and_assessment_frames(workspace: Any) -> tuple[pd.DataFrame, pd.DataFrame,
                                                         list[dict[str, Any]]]:
    """(elders, assessments, attribute dicts in elder order) of an open workspace."""
    from assessment.records.api import AssessmentStatus
    from assessment.records.schema import Assessment, Elder

    with workspace.engine.connect() as conn:
        rows = conn.execute(select(
            Elder.id, Elder.name, Elder.township, Elder.village, Elder.sex, Elder.birth_date,
            Elder.current_grade, Elder.last_assessed, Elder.due_on, Elder.attributes,
        )).all()
        done = conn.execute(select(
            Assessment.id, Assessment.elder_id, Assessment.reference_date, Assessment.reason,
            Assessment.final_grade,
        ).where(Assessment.status.in_([AssessmentStatus.FINALIZED.value,
                                       AssessmentStatus.SUPERSEDED.value]))).all()
    elders = pd.DataFrame(
        [r[:9] for r in rows],
        columns=["elder_id", "name", "township", "village", "sex", "birth_date",
                 "current_grade", "last_assessed", "due_on"])
    assessments = pd.DataFrame(
        done, columns=["assessment_id", "elder_id", "reference_date", "reason", "final_grade"])
    attributes = [dict(r[9] or {}) for r in rows]
    return elders, assessments, attributes


def eligibility_frame(elders: pd.DataFrame, attributes: list[dict[str, Any]], as_of: date,
                      lists: Any | None = None) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """Every elder's result per service item (``BatchResult.results_frame``) and item names.

    An elder whose stored attributes the engine refuses is left out (all items missing);
    ``(None, {})`` when the lists cannot be loaded.
    """
    from assessment.eligibility import load_lists, match_frame, parse_profile, profiles_to_frame

    registry = lists if lists is not None else load_lists()
    profiles = []
    keep = []
    births: list[Any] = elders["birth_date"].tolist()
    sexes: list[Any] = elders["sex"].tolist()
    grades: list[Any] = pd.to_numeric(elders["current_grade"], errors="coerce").tolist()
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
            profiles.append(parse_profile(data, registry.vocabulary))
        except InputRejected:
            continue
        keep.append(index)
    if not profiles:
        return None, {}
    frame = profiles_to_frame(profiles, registry.vocabulary)
    batch = match_frame(frame, as_of, registry)
    results = batch.results_frame()
    results.index = pd.Index(elders["elder_id"].to_numpy()[keep], name="elder_id")
    names = {c.plan.item.id: c.plan.item.name for c in batch.items}
    return results, names


def statistics_input(workspace: Any, as_of: date, *, with_eligibility: bool = True,
                     lists: Any | None = None) -> StatisticsInput:
    """Everything :func:`~assessment.documents.statistics.compute_statistics` needs."""
    elders, assessments, attributes = elder_and_assessment_frames(workspace)
    eligibility: pd.DataFrame | None = None
    names: dict[str, str] = {}
    if with_eligibility and len(elders):
        eligibility, names = eligibility_frame(elders, attributes, as_of, lists)
    return StatisticsInput(elders, assessments, eligibility, names)
