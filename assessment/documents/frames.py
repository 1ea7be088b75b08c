"""Statistics input frames read from a laptop's workspace (read-only).

Takes one bulk read of the elders and assessments from the workspace
(:meth:`~assessment.records.elders.Elders.tables`), then matches every elder
against the service lists in force with the vectorized eligibility engine. The lists are the
workspace's (bundled plus ``<data dir>/service_lists``). :func:`eligibility_input` is the one
registry-frame reader: statistics and the desktop's township rosters both use it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from assessment.documents.statistics import StatisticsInput
from assessment.errors import FormFileError, InputRejected
from assessment.storedjson import stored_object

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


#: Profile keys taken from the elder's own columns rather than its stored attributes.
OWN_KEYS = ("birth_date", "sex", "capability_grade")
_REFUSED = None  # a part of a profile the engine refuses


def _own_values(elders: pd.DataFrame) -> list[list[Any]]:
    """Per key of :data:`OWN_KEYS`, each elder's value as a profile holds it (None: not
    given, the stored attribute stays)."""
    births = [b.isoformat()[:10] if isinstance(b, date) else None
              for b in elders["birth_date"].tolist()]
    sexes = [s if isinstance(s, str) else None for s in elders["sex"].tolist()]
    grades = [int(g) if isinstance(g, float) and g == g else None
              for g in pd.to_numeric(elders["current_grade"], errors="coerce").tolist()]
    return [births, sexes, grades]


def _attributes_key(value: Any) -> Any:
    """A hashable stand-in for stored attributes (their JSON text as stored, or a dict)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def profiles_frame(elders: pd.DataFrame, attributes: Sequence[Mapping[str, Any] | str],
                   vocabulary: Any, step: Callable[[int, int], None] | None = None,
                   ) -> pd.DataFrame:
    """The registry as the batch engine reads it: one row per elder the engine accepts.

    Birth date, sex and capability grade come from the elder's columns (the grade of the
    current finalized assessment), the rest from the stored service-list attributes (dicts,
    or their JSON text as the county stores it); the identity columns (``person_id`` = elder
    id, name, township, village) are added. Elders whose stored attributes the engine refuses
    are left out; their names are in ``frame.attrs["skipped"]``. ``step(done, total)`` is
    called every :data:`CHUNK` rows (progress; it may raise to cancel).

    :func:`~assessment.eligibility.parse_profile` checks every key on its own and a profile
    is refused when any key is, so the profile is validated in parts: the stored attributes
    once per distinct content (and set of keys the elder's columns replace), each own column
    once per distinct value; the frame is then built column by column. The result is the
    one of parsing every elder's whole profile (a property test holds both to it).
    """
    from assessment.eligibility import parse_profile

    total = len(elders)
    own = _own_values(elders)
    groups: dict[tuple[Any, int], int] = {}
    group_of = np.empty(total, dtype=np.intp)
    sources: list[tuple[Any, int]] = []
    masks = np.zeros(total, dtype=np.int64)
    for bit, values in enumerate(own):
        masks |= np.array([v is not None for v in values], dtype=np.int64) << bit
    for index, (attrs, mask) in enumerate(zip(attributes, masks.tolist(), strict=True)):
        if step is not None and index % CHUNK == 0:
            step(index, total)
        group = (_attributes_key(attrs), mask)
        number = groups.get(group)
        if number is None:
            number = groups[group] = len(sources)
            sources.append((attrs, mask))
        group_of[index] = number
    cache = _PartCache(parse_profile, vocabulary)
    parsed: list[Mapping[str, Any] | None] = []
    for attrs, mask in sources:
        data = stored_object(attrs) if isinstance(attrs, str) else attrs
        parsed.append(cache.profile((k, v) for k, v in data.items() if v is not None
                                    and not (k in OWN_KEYS and mask >> OWN_KEYS.index(k) & 1)))
    own_parsed: list[dict[Any, Mapping[str, Any] | None]] = []
    for number, own_key in enumerate(OWN_KEYS):
        found: dict[Any, Mapping[str, Any] | None] = {}
        for value in set(own[number]) - {None}:
            found[value] = _parse_part(parse_profile, {own_key: value}, vocabulary)
        own_parsed.append(found)
    accepted = np.array([p is not _REFUSED for p in parsed], dtype=bool)[group_of]
    own_codes: list[tuple[np.ndarray, list[Any]]] = []
    for number in range(len(OWN_KEYS)):
        codes_k, uniques = pd.factorize(pd.Series(own[number], dtype=object),
                                        use_na_sentinel=True)
        distinct = list(uniques)
        own_codes.append((codes_k, distinct))
        refused = np.array([own_parsed[number][v] is _REFUSED for v in distinct] + [False],
                           dtype=bool)
        accepted &= ~refused[codes_k]
    rows = np.flatnonzero(accepted).astype(np.intp)
    codes = group_of[rows]
    names = [a.name for a in vocabulary.attributes.values() if a.kind != "age"]
    columns: dict[str, np.ndarray] = {}
    for name in names:  # the parts are plain already (see _PartCache)
        per_group = np.fromiter((flat.get(name) if flat is not None else None
                                 for flat in parsed), dtype=object, count=len(parsed))
        columns[name] = per_group[codes] if len(parsed) else np.empty(0, dtype=object)
    for number in range(len(OWN_KEYS)):
        codes_k, distinct = own_codes[number]
        chosen = codes_k[rows]
        given = chosen >= 0
        parts = [own_parsed[number][v] for v in distinct]
        for name in {n for p in parts if p is not None for n in p}:
            per_value = np.empty(len(parts), dtype=object)
            for position, part in enumerate(parts):
                per_value[position] = _plain(part.get(name)) if part is not None else None
            column = columns[name].copy()
            column[given] = per_value[chosen[given]]
            columns[name] = column
    frame = pd.DataFrame(columns, columns=names, dtype=object)
    for identity, source in IDENTITY_COLUMNS.items():
        if identity in vocabulary.attributes:
            frame[identity] = elders[source].to_numpy(dtype=object)[rows]
    frame = frame.reset_index(drop=True)
    names_all = elders["name"].tolist()
    frame.attrs["skipped"] = tuple(str(names_all[i]) for i in np.flatnonzero(~accepted))
    return frame


def _plain(value: Any) -> Any:
    """A parsed value as the frame holds it (an absent record field is unknown)."""
    from assessment.eligibility.values import ABSENT

    return None if value is ABSENT else value


class _PartCache:
    """Profiles parsed key by key, each distinct (key, value) once.

    :func:`~assessment.eligibility.parse_profile` converts every key of a profile on its own
    (a key's value alone decides its flat values, or its refusal) and refuses the profile
    when any key is refused; so a profile's flat values are the union of its keys' parts,
    in key order. A county's profiles are mostly distinct as wholes (a dozen independent
    answers each) but share a few hundred (key, value) pairs: parsing those once instead
    of every profile was most of the county workbook's matching time.
    """

    def __init__(self, parse: Callable[..., Any], vocabulary: Any) -> None:
        self.parse = parse
        self.vocabulary = vocabulary
        self.known: dict[tuple[str, Any], dict[str, Any] | None] = {}

    def part(self, key: str, value: Any) -> dict[str, Any] | None:
        """The plain flat values of one key (absent record fields as None), or
        :data:`_REFUSED`."""
        cache_key = (key, _value_key(value))
        try:
            return self.known[cache_key]
        except KeyError:
            pass
        flat = _parse_part(self.parse, {key: value}, self.vocabulary)
        plain = None if flat is _REFUSED else {n: _plain(v) for n, v in flat.items()}
        self.known[cache_key] = plain
        return plain

    def profile(self, items: Iterable[tuple[str, Any]]) -> dict[str, Any] | None:
        """The plain flat values of a whole profile given as (key, value) pairs, or
        :data:`_REFUSED` when any key is refused."""
        flat: dict[str, Any] = {}
        for key, value in items:
            part = self.part(key, value)
            if part is None:  # refused
                return _REFUSED
            flat.update(part)
        return flat


def _value_key(value: Any) -> Any:
    """A hashable key telling apart every JSON value ``parse_profile`` could read
    differently (``True`` and ``1``, ``1`` and ``1.0``, ``"1"`` and ``1``)."""
    kind = type(value)
    if kind is str or kind is bool or kind is int:
        return kind.__name__, value
    if kind is list and all(type(item) is str for item in value):
        return "list", tuple(value)
    return "json", json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


def _parse_part(parse: Callable[..., Any], data: dict[str, Any],
                vocabulary: Any) -> Mapping[str, Any] | None:
    """The flat values of a part of a profile, or :data:`_REFUSED`."""
    try:
        return dict(parse(data, vocabulary).values)
    except InputRejected:
        return _REFUSED


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
