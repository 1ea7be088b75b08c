"""Tables of the laptop's sync bookkeeping, on the store's declarative base.

None of these rows is ever a change of this device: they record what the county and the other
laptops of the township sent, so that applying it again is a no-op and a later merge sees the
same history the county saw.

* ``sync_state``: one row: the county feed position already applied (the pull cursor),
  written in the same transaction as the changes it covers.
* ``sync_incoming``: every (device, sequence) applied from another device (idempotency).
* ``sync_heads``: the newest version seen from other devices of every non-elder record (for
  assessments also whether it is shown in the roster yet: drafts of other laptops never are,
  and a record whose elder or superseded assessment has not arrived waits here).
* ``sync_elder_fields``: per elder field, the write that set the current value (hybrid clock,
  device, version): the state :func:`assessment.wire.merge.merge_elder` merges into.
  ``sync_elder_folds`` remembers up to which own change each elder's own writes were folded in.
* ``sync_conflicts``: the losing value of every concurrent edit (and other local sync
  problems, such as an ID number already used by another elder here), kept for review until
  the county's decision on that field arrives (``resolved_at``/``resolved_by``).
* ``remote_audit``: audit entries of other laptops (this device's own chain is ``audit_log``).
* ``county_lists``: service-list versions the county announced, and whether they are installed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assessment.records.schema import Base


class SyncStateRow(Base):
    """The single row of pull bookkeeping."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pull_cursor: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class SyncIncoming(Base):
    """One change of another device that was applied here."""

    __tablename__ = "sync_incoming"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime] = mapped_column(DateTime)


class SyncHead(Base):
    """The newest version of a record received from another device."""

    __tablename__ = "sync_heads"

    record_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(64))
    hlc: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)
    elder_id: Mapped[str | None] = mapped_column(String(64), index=True)
    waiting: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class SyncElderField(Base):
    """The current value of one elder field and the write that set it (JSON value)."""

    __tablename__ = "sync_elder_fields"

    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    field: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    hlc: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)


class SyncElderFold(Base):
    """The last own change of an elder already folded into its field states."""

    __tablename__ = "sync_elder_folds"

    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    own_seq: Mapped[int] = mapped_column(Integer)


class SyncConflict(Base):
    """A losing value (or another sync problem) kept on this laptop for review."""

    __tablename__ = "sync_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(24))  # "field" or "duplicate_id_number"
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(64), index=True)
    field: Mapped[str] = mapped_column(String(128))
    winner_value: Mapped[str] = mapped_column(Text)
    winner_device: Mapped[str] = mapped_column(String(64))
    winner_hlc: Mapped[int] = mapped_column(Integer)
    loser_value: Mapped[str] = mapped_column(Text)
    loser_device: Mapped[str] = mapped_column(String(64))
    loser_hlc: Mapped[int] = mapped_column(Integer)
    review_required: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Set when the county's decision on this field arrived (its device id): no longer shown.
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64))


class RemoteAudit(Base):
    """An audit entry of another laptop of the township, as it sent it."""

    __tablename__ = "remote_audit"

    entry_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))


class CountyList(Base):
    """A service-list version the county announced; ``status``: announced|installed|rejected."""

    __tablename__ = "county_lists"

    list_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12))
    detail: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)
