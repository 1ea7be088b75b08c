"""The elders of a workspace (``workspace.elders``): the register, its pages and profiles.

:class:`Elders` reads the register (the filtered, sorted pages of the elder list, villages,
one profile, the whole register as tables for statistics and plans) and writes profiles: each
write is one transaction that also appends the change and the audit entry. The helpers below
are shared by the other managers inside one transaction: :func:`find_elder` and
:func:`elder_row` look an elder up, :func:`index_elder` rewrites its search terms and
registers its village.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from assessment.errors import InputRejected, Problem
from assessment.ids import new_id
from assessment.records import bulkload, changelog, register
from assessment.records.api import (
    EVERY,
    ElderProfile,
    RecordNotFound,
    RegisterFilter,
    RegisterKey,
    RegisterRow,
)
from assessment.records.context import Context
from assessment.records.convert import elder_payload, elder_profile
from assessment.records.profiles import (
    COLUMN_ATTRIBUTES,
    check_profile,
    clean_attributes,
    elder_change_payload,
)
from assessment.records.profiles import stored_info as _stored_info
from assessment.records.schema import Elder, ElderDetail, SearchTerm, Village
from assessment.records.search import elder_terms, sort_key, village_keys
from assessment.records.settings import Settings
from assessment.records.tables import RegistryTables, read_registry
from assessment.registry.plan import ASSESSOR_SOURCE
from assessment.registry.status import check_writable
from assessment.scoring import Grader

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def find_elder(session: Session, elder_id: str) -> Elder | None:
    """The elder's row, or ``None``."""
    return session.scalars(select(Elder).where(Elder.id == elder_id)).first()


def elder_row(session: Session, elder_id: str) -> Elder:
    """The elder's row; :class:`RecordNotFound` when there is none."""
    row = find_elder(session, elder_id)
    if row is None:
        raise RecordNotFound("老人", elder_id)
    return row


Indexed = tuple[str, str | None]
"""What an elder's search terms are made from: its (stored) name and ID number."""


def indexed(row: Elder) -> Indexed:
    """The name and ID number an elder's search terms are made from, as stored now (take it
    before changing the row, for :func:`index_elder`)."""
    return row.name, row.id_number


def index_elder(session: Session, row: Elder, before: Indexed | None) -> None:
    """Rewrite the search terms of an elder whose terms were made from ``before`` (``None``
    for a new elder) and register its village.

    The terms are a function of the name and ID number (:func:`~assessment.records.search.
    elder_terms`), so the old ones are found again by primary key from ``before``: the table
    keeps no index by elder (migration 0010). Only the difference is written.
    """
    old = elder_terms(*before) if before is not None else set()
    new = elder_terms(row.name, row.id_number)
    gone, added = old - new, new - old
    if gone:
        session.execute(delete(SearchTerm).where(SearchTerm.elder_num == row.num,
                                                 SearchTerm.term.in_(sorted(gone))))
    if added:
        session.execute(insert(SearchTerm),
                        [{"term": t, "elder_num": row.num} for t in sorted(added)])
    if row.village and session.get(Village, row.village) is None:
        keys = village_keys(row.village)
        session.add(Village(name=row.village, township=row.township, pinyin=keys.pinyin,
                            initials=keys.initials))


class Elders:
    """The elder register of one open workspace (``workspace.elders``)."""

    def __init__(self, ctx: Context, settings: Settings, grader: Callable[[], Grader]) -> None:
        self._ctx = ctx
        self._settings = settings
        self._grader = grader

    def tables(self, active_on: date | None = None, *,
                        with_transferred: bool = True) -> RegistryTables:
        """Every elder (on the roll on ``active_on`` when given) and their finalized and
        superseded assessments as frames, in one read (statistics, rosters, visit plans)."""
        return read_registry(self._ctx.store, active_on, with_transferred=with_transferred)

    def count(self, flt: RegisterFilter) -> int:
        """How many elders the filter shows."""
        with self._ctx.store.reading() as session:
            return register.count(session, flt)

    def page(self, flt: RegisterFilter, offset: int, limit: int,
                    after: RegisterKey | None = None) -> Sequence[RegisterRow]:
        """One page of the filtered, sorted roster (for a lazily fetching table model):
        ``limit`` rows from ``offset`` rows past ``after`` (a row's ``key``; the start when
        ``None``)."""
        with self._ctx.store.reading() as session:
            return register.page(session, flt, offset, limit, after)

    def villages(self) -> Sequence[str]:
        """The villages in use, in pinyin order."""
        with self._ctx.store.reading() as session:
            return register.village_names(session)

    def get(self, elder_id: str) -> ElderProfile:
        """One elder's profile (derived attributes filled in)."""
        with self._ctx.store.reading() as session:
            return elder_profile(elder_row(session, elder_id))

    def find_by_id_number(self, id_number: str) -> ElderProfile | None:
        """The elder with this resident ID number, if registered."""
        with self._ctx.store.reading() as session:
            row = session.scalars(
                select(Elder).where(Elder.id_number == id_number.strip().upper())
            ).first()
            return elder_profile(row) if row is not None else None

    def _validated(self, session: Session, profile: ElderProfile,
                   own_id: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
        """Check a profile; return the column values and the detail values."""
        resident, problems = check_profile(profile, self._ctx.form)
        id_number = resident.number if resident is not None else None
        if id_number is not None:
            other = session.scalars(
                select(Elder.id).where(Elder.id_number == id_number, Elder.id != (own_id or ""))
            ).first()
            if other is not None:
                problems.append(Problem("A.2.8", "duplicate", "该公民身份号码已登记为另一位老人"))
        if problems:
            raise InputRejected(problems)
        attributes, _ = clean_attributes(profile.attributes)
        sex = resident.sex if resident is not None else profile.sex
        birth = resident.birth_date if resident is not None else profile.birth_date
        name = profile.name.strip()
        columns: dict[str, Any] = {
            "name": name, "name_pinyin": sort_key(name), "id_number": id_number, "sex": sex,
            "birth_date": birth, "township": _blank_none(profile.township),
            "village": _blank_none(profile.village), "address": _blank_none(profile.address),
            "phone": _blank_none(profile.phone.replace(" ", "") if profile.phone else None),
            "household_id": profile.household_id,
        }
        for attr in COLUMN_ATTRIBUTES:
            columns[attr] = attributes.get(attr)
        return columns, {"info": _stored_info(profile, id_number, sex, birth),
                         "attributes": attributes}

    def create(self, profile: ElderProfile) -> ElderProfile:
        """Register a new elder; refused whole when any field is wrong or the ID is taken."""
        with self._ctx.store.writing() as (session, state):
            columns, detail = self._validated(session, profile, None)
            elder_id = profile.elder_id if _UUID.match(profile.elder_id or "") else new_id()
            if find_elder(session, elder_id) is not None:
                elder_id = new_id()
            now = changelog.utc_now()
            row = Elder(id=elder_id, version=1, created_at=now, updated_at=now, draft_count=0,
                        detail=ElderDetail(**detail), **columns)
            session.add(row)
            session.flush()
            index_elder(session, row, None)
            self._ctx.store.log(session, state, "elder", row.id, 1,
                                elder_change_payload(elder_payload(row), None), "create_elder")
            return elder_profile(row)

    def save(self, profile: ElderProfile) -> ElderProfile:
        """Save an edited profile; refused when another save came first (stale version)."""
        with self._ctx.store.writing() as (session, state):
            row = elder_row(session, profile.elder_id)
            if profile.version != row.version:
                raise InputRejected([Problem("version", "stale",
                                             "该老人信息已在别处被修改，请重新打开后再保存")])
            check_writable(row.status)
            columns, detail = self._validated(session, profile, row.id)
            before = elder_payload(row)
            terms_from = indexed(row)
            for name, value in columns.items():
                setattr(row, name, value)
            row.detail.provenance = _entered_provenance(
                row.detail.attributes or {}, detail["attributes"], row.detail.provenance or {},
                self._ctx.username)
            row.detail.info, row.detail.attributes = detail["info"], detail["attributes"]
            row.version += 1
            row.updated_at = changelog.utc_now()
            session.flush()
            after = elder_payload(row)
            changed = sorted(k for k in after if k != "version" and after[k] != before[k])
            if before["info"] != after["info"]:
                changed += [f"info.{k}" for k in sorted(set(before["info"]) | set(after["info"]))
                            if before["info"].get(k) != after["info"].get(k)]
            index_elder(session, row, terms_from)
            self._ctx.store.log(session, state, "elder", row.id, row.version,
                                elder_change_payload(after, before), "save_elder",
                                {"changed": changed})
            return elder_profile(row)

    def bulk_load(self, profiles: Sequence[ElderProfile],
                  assessments: Sequence[bulkload.LoadAssessment] = (), *,
                  action: str = "bulk_load",
                  progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
        """Load many elders and assessments in one transaction (demo data, roster imports);
        validated like single writes and refused whole. Returns the counts loaded."""
        interval = self._settings.interval_months()
        grader = self._grader()
        with self._ctx.store.writing() as (session, state):
            ctx = bulkload.LoadContext(self._ctx.form, grader, self._ctx.store.clock,
                                       self._ctx.username, interval)
            counts = bulkload.bulk_load(session, state, ctx, profiles, assessments,
                                        action=action, progress=progress)
            self._ctx.store.touched("elder", EVERY)
            if assessments:
                self._ctx.store.touched("assessment", EVERY)
            return counts


def _entered_provenance(before: Mapping[str, Any], after: Mapping[str, Any],
                        provenance: Mapping[str, Any], username: str) -> dict[str, Any]:
    """Provenance after an assessor's save: each attribute the save changed is marked as
    entered by ``username`` today (a roster import later replaces it only when newer)."""
    result = dict(provenance)
    today = date.today().isoformat()
    for key in set(before) | set(after):
        if before.get(key) != after.get(key):
            if after.get(key) is None:
                result.pop(key, None)
            else:
                result[key] = {"source": ASSESSOR_SOURCE, "as_of": today, "by": username}
    return result


def _blank_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None

