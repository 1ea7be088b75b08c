"""Statistics input frames read from a laptop's workspace (read-only).

Takes one bulk read of the elders and assessments from the workspace
(:meth:`~assessment.records.elders.Elders.tables`), then matches every elder
against the service lists in force with the vectorized eligibility engine. The lists are the
workspace's (bundled plus ``<data dir>/service_lists``). :func:`eligibility_input` is the one
registry-frame reader: statistics and the desktop's township rosters both use it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from assessment.documents.statistics import StatisticsInput
from assessment.errors import FormFileError, InputRejected

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace


def elder_and_assessment_frames(workspace: Workspace, active_on: date | None = None,
                                ) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """(elders, assessments, attribute dicts in elder order) of an open workspace
    (:meth:`~assessment.records.elders.Elders.tables`).

    With ``active_on`` only the elders on the roll that day
    (:func:`assessment.registry.status.active_on`); the elders frame carries ``left_on``
    either way, so statistics can tell current figures from period ones."""
    tables = workspace.elders.tables(active_on)
    elders = tables.elders.drop(columns=["transferred_to"])
    return elders, tables.assessments, tables.attributes


#: Registry-frame columns filled from the elder's own columns (identity, not for rules).
IDENTITY_COLUMNS = {"person_id": "elder_id", "name": "name", "residence_township": "township",
                    "residence_village": "village"}
CHUNK = 2000


def profiles_frame(elders: pd.DataFrame, attributes: list[dict[str, Any]], vocabulary: Any,
                   step: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """The registry as the batch engine reads it: one row per elder the engine accepts.

    Birth date, sex and capability grade come from the elder's columns (the grade of the
    current finalized assessment), the rest from the stored service-list attributes; the
    identity columns (``person_id`` = elder id, name, township, village) are added. Elders
    whose stored attributes the engine refuses are left out; their names are in
    ``frame.attrs["skipped"]``. ``step(done, total)`` is called every :data:`CHUNK` rows
    (progress; it may raise to cancel).
    """
    from assessment.eligibility import parse_profile, profiles_to_frame

    total = len(elders)
    births: list[Any] = elders["birth_date"].tolist()
    sexes: list[Any] = elders["sex"].tolist()
    grades: list[Any] = pd.to_numeric(elders["current_grade"], errors="coerce").tolist()
    names: list[Any] = elders["name"].tolist()
    profiles = []
    keep: list[int] = []
    skipped: list[str] = []
    for index, attrs in enumerate(attributes):
        if step is not None and index % CHUNK == 0:
            step(index, total)
        data = {k: v for k, v in attrs.items() if v is not None}
        birth, sex, grade = births[index], sexes[index], grades[index]
        if isinstance(birth, date):
            data["birth_date"] = birth.isoformat()[:10]
        if isinstance(sex, str):
            data["sex"] = sex
        if isinstance(grade, float) and grade == grade:
            data["capability_grade"] = int(grade)
        try:
            profiles.append(parse_profile(data, vocabulary))
        except InputRejected:
            skipped.append(str(names[index]))
            continue
        keep.append(index)
    frame = profiles_to_frame(profiles, vocabulary)
    rows = np.array(keep, dtype=np.intp)
    for column, source in IDENTITY_COLUMNS.items():
        if column in vocabulary.attributes:
            frame[column] = elders[source].to_numpy(dtype=object)[rows]
    frame = frame.reset_index(drop=True)
    frame.attrs["skipped"] = tuple(skipped)
    return frame


def eligibility_input(workspace: Workspace, vocabulary: Any | None = None,
                      step: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Every elder of an open workspace as one registry frame (see :func:`profiles_frame`):
    the one reader behind statistics and the township rosters. ``vocabulary`` defaults to
    that of the workspace's lists."""
    from assessment.documents.sources import workspace_lists

    if vocabulary is None:
        vocabulary = workspace_lists(workspace).vocabulary
    elders, _, attributes = elder_and_assessment_frames(workspace, date.today())
    return profiles_frame(elders, attributes, vocabulary, step)


def eligibility_frame(elders: pd.DataFrame, attributes: list[dict[str, Any]], as_of: date,
                      lists: Any | None = None) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """Every elder's result per service item (``BatchResult.results_frame``) and item names.

    An elder whose stored attributes the engine refuses is left out (all items missing);
    ``(None, {})`` when nobody can be matched. ``lists`` defaults to the command line's list
    folder; with a workspace pass its lists (:func:`statistics_input` does).
    """
    from assessment.documents.sources import default_lists

    registry = lists if lists is not None else default_lists()
    return registry_results(profiles_frame(elders, attributes, registry.vocabulary), as_of,
                            registry)


def registry_results(frame: pd.DataFrame, as_of: date, lists: Any,
                     ) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """Match a registry frame (:func:`profiles_frame`, possibly built in parts) against
    ``lists``: every elder's result per item, indexed by elder id, and the item names;
    ``(None, {})`` for an empty frame."""
    from assessment.eligibility import match_frame

    if not len(frame):
        return None, {}
    batch = match_frame(frame, as_of, lists)
    results = batch.results_frame()
    results.index = pd.Index(frame["person_id"].to_numpy(dtype=object), name="elder_id")
    names = {c.plan.item.id: c.plan.item.name for c in batch.items}
    return results, names


def statistics_input(workspace: Workspace, as_of: date, *, with_eligibility: bool = True,
                     lists: Any | None = None) -> StatisticsInput:
    """Everything :func:`~assessment.documents.statistics.compute_statistics` needs."""
    elders, assessments, attributes = elder_and_assessment_frames(workspace)
    eligibility: pd.DataFrame | None = None
    names: dict[str, str] = {}
    if with_eligibility and len(elders):
        from assessment.registry.status import is_active_on

        keep = [i for i, left in enumerate(elders["left_on"].tolist())
                if not isinstance(left, date) or is_active_on(left, as_of)]
        on_roll = elders.iloc[keep].reset_index(drop=True)  # only those on the roll
        attributes = [attributes[i] for i in keep]
        if lists is None:
            from assessment.documents.sources import workspace_lists

            lists = workspace_lists(workspace)
        eligibility, names = eligibility_frame(on_roll, attributes, as_of, lists)
    visits: pd.DataFrame | None = None
    try:
        visits = workspace.visits.measure(as_of.strftime("%Y-%m"), as_of)
    except FormFileError:
        visits = None  # a bad visit-plan file leaves the 月探访率 table out, not the statistics
    return StatisticsInput(elders, assessments, eligibility, names, visits)
