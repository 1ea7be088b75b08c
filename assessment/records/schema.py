"""The tables of the local store, as typed SQLAlchemy 2 models.

* ``elders``: one narrow row per person: what the roster shows, filters, sorts or searches
  on. ``elder_details`` holds the wide part: the Appendix A person fields in the JSON column
  ``info`` and the service-list attributes (docs/spec/service-lists.md §3) in ``attributes``.
  The current grade, last assessment date, due date and open-draft count are kept on the
  elder row too, updated in the same transaction as a finalize, so the roster never joins
  the assessments; so is ``transferred_to``, the township the county moved the elder to.
* ``search_terms``: the search keys of an elder (name suffixes, pinyin, reversed ID number),
  one indexed row each, so that search as you type is an index range scan.
* ``villages``: the villages in use, with their pinyin, for the village filter and search.
* ``assessments``: drafts, finalized and superseded assessments with their raw answers and
  pinned results.
* ``accounts``, ``settings``: who may sign in; typed settings as JSON values.
* ``device_state``: one row: the device id and code, the change-log head, the hybrid clock
  and the number counters.
* ``change_log``: the sync outbox (per-device sequence, hash chain, ``acked`` marker).
* ``audit_log``: the hash-chained audit trail.

Times are stored as naive UTC and handed out as aware UTC datetimes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    select,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    column_property,
    mapped_column,
    relationship,
)

from assessment.records.packing import PackedJSON, PackedText


class Base(DeclarativeBase):
    """Declarative base of the local store."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class ElderDetail(Base):
    """The wide part of an elder (Appendix A fields, service-list attributes), kept out of
    the roster's table so that scanning 100,000 roster rows stays in the page cache."""

    __tablename__ = "elder_details"

    elder_num: Mapped[int] = mapped_column(
        Integer, ForeignKey("elders.num", ondelete="CASCADE"), primary_key=True
    )
    info: Mapped[dict[str, Any]] = mapped_column(PackedJSON, default=dict)
    attributes: Mapped[dict[str, Any]] = mapped_column(PackedJSON, default=dict)
    # 0006: where each service-list attribute came from: {attribute: {"source", "as_of",
    # "import_id", "kind"}} for a roster import, {"source": "评估员录入", "as_of", "by"} for
    # an assessor's entry (assessment.registry.plan).
    provenance: Mapped[dict[str, Any]] = mapped_column(PackedJSON, default=dict)


class Elder(Base):
    """An elder (评估对象) with the person fields and service-list attributes."""

    __tablename__ = "elders"

    # A compact integer key (the SQLite rowid) for the search index; ``id`` is the UUIDv7
    # that sync and every caller use.
    num: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    name_pinyin: Mapped[str] = mapped_column(String(128), index=True)
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    sex: Mapped[str | None] = mapped_column(String(2))
    birth_date: Mapped[date | None] = mapped_column(Date)
    township: Mapped[str | None] = mapped_column(String(64))
    village: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    household_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Service-list attributes the lists and rosters filter on (also inside ``attributes``).
    hukou_code: Mapped[str | None] = mapped_column(String(6))
    residence_code: Mapped[str | None] = mapped_column(String(6))
    area_type: Mapped[str | None] = mapped_column(String(8))
    assistance_status: Mapped[str | None] = mapped_column(String(24))
    dwelling: Mapped[str | None] = mapped_column(String(16))
    # Denormalised from the current assessment (updated in the finalize transaction).
    current_assessment_id: Mapped[str | None] = mapped_column(String(36))
    current_grade: Mapped[int | None] = mapped_column(Integer)
    last_assessed: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    draft_count: Mapped[int] = mapped_column(Integer, default=0)
    # The township the county moved this elder to (its name), NULL while the elder belongs
    # here: set and cleared only by the county's transfer notices (assessment.records.incoming).
    transferred_to: Mapped[str | None] = mapped_column(String(100))
    # 0006: the lifecycle (assessment.registry.status): active | deregistered | merged, the
    # day the elder left the roll and, for a merge, the record kept. Denormalised from
    # ``elder_statuses`` so that lists filter on the row.
    status: Mapped[str] = mapped_column(String(16), default="active")
    left_on: Mapped[date | None] = mapped_column(Date)
    merged_into: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    detail: Mapped[ElderDetail] = relationship(lazy="joined", cascade="all, delete-orphan")
    # Read-only convenience for bulk readers (statistics): ``select(Elder.attributes)``.
    attributes: Mapped[dict[str, Any]] = column_property(
        select(ElderDetail.attributes).where(ElderDetail.elder_num == num)
        .correlate_except(ElderDetail).scalar_subquery(),
        deferred=True,
    )

    # One index per roster sort order (each ends in the rowid), so that a broad search walks
    # the index in order and stops after one page. ``ix_elders_num_pinyin`` gives the name
    # order of elders found by number (the matches of a narrow search) from a small index
    # instead of the wide rows.
    __table_args__ = (
        Index("ix_elders_num_pinyin", "num", "name_pinyin"),
        Index("ix_elders_village_pinyin", "village", "name_pinyin"),
        Index("ix_elders_grade_pinyin", "current_grade", "name_pinyin"),
        Index("ix_elders_due_pinyin", "due_on", "name_pinyin"),
        Index("ix_elders_birth_pinyin", "birth_date", "name_pinyin"),
    )


class SearchTerm(Base):
    """One search key of an elder; a typed prefix is a range scan over ``term``.

    The primary key (``term``, ``elder_num``) is the only index (0010): an elder's old terms
    are found again from its old name and ID number (:func:`~assessment.records.elders.
    index_elder`), and "does this elder match" is a test against the matches of the typed
    range, so no second copy of every term ordered by elder is kept (it was a fifth of the
    store). Elders are never deleted, so the cascade never has to find an elder's rows.
    """

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    elder_num: Mapped[int] = mapped_column(
        Integer, ForeignKey("elders.num", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = ({"sqlite_with_rowid": False},)


class ElderStatusRow(Base):
    """The current lifecycle record of an elder (the newest ``elder_status`` change seen,
    by version, hybrid clock and device id) with its payload."""

    __tablename__ = "elder_statuses"

    elder_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    hlc: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RegistryImport(Base):
    """One roster import of an office (民政, 残联, 卫健, 退役军人事务) with its summary."""

    __tablename__ = "roster_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(100))
    as_of: Mapped[date] = mapped_column(Date)
    file_name: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Village(Base):
    """A village (村/社区) in use, with its search keys."""

    __tablename__ = "villages"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    township: Mapped[str | None] = mapped_column(String(64))
    pinyin: Mapped[str] = mapped_column(String(128))
    initials: Mapped[str] = mapped_column(String(32))


class Assessment(Base):
    """An assessment: draft → finalized → superseded (docs/spec/gbt42195.md §11)."""

    __tablename__ = "assessments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    elder_id: Mapped[str] = mapped_column(String(36), ForeignKey("elders.id"))
    status: Mapped[str] = mapped_column(String(12), index=True)
    assessment_no: Mapped[str] = mapped_column(String(32), unique=True)  # A.1.1
    answers: Mapped[dict[str, Any]] = mapped_column(PackedJSON, default=dict)
    form_version: Mapped[str] = mapped_column(String(40))
    rules_hash: Mapped[str] = mapped_column(String(64))
    reference_date: Mapped[date | None] = mapped_column(Date)  # A.1.2
    reason: Mapped[str | None] = mapped_column(String(40))  # A.1.3
    supersedes: Mapped[str | None] = mapped_column(String(36), ForeignKey("assessments.id"))
    superseded_by: Mapped[str | None] = mapped_column(String(36))
    subtotals: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    total: Mapped[int | None] = mapped_column(Integer)
    initial_grade: Mapped[int | None] = mapped_column(Integer)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    final_grade: Mapped[int | None] = mapped_column(Integer)
    certificate_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    assessor_1: Mapped[str | None] = mapped_column(String(64))
    assessor_2: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    finalized_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    eligibility: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # 0003: pinned match

    __table_args__ = (Index("ix_assessments_elder_status", "elder_id", "status"),)


class Account(Base):
    """A user of this laptop; the password lives only in the keyring as a key wrap."""

    __tablename__ = "accounts"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Setting(Base):
    """One setting; ``value`` is any JSON value."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class DeviceState(Base):
    """The single row of device identity, change-log head, clock and number counters."""

    __tablename__ = "device_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    device_code: Mapped[str] = mapped_column(String(16))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    acked_seq: Mapped[int] = mapped_column(Integer, default=0)
    hlc: Mapped[int] = mapped_column(Integer, default=0)
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_hash: Mapped[str] = mapped_column(String(64))
    assessment_counter: Mapped[int] = mapped_column(Integer, default=0)
    certificate_counter: Mapped[int] = mapped_column(Integer, default=0)


class ChangeEntry(Base):
    """One change in the outbox; ``payload`` is the canonical JSON the hash covers."""

    __tablename__ = "change_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    device_id: Mapped[str] = mapped_column(String(36))
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    hlc: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(PackedText)  # 0009: packed (records.packing)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    acked: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    __table_args__ = (Index("ix_change_log_record", "record_type", "record_id"),)


class AuditEntry(Base):
    """One hash-chained audit entry: who did what to which record, and when."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    hlc: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
