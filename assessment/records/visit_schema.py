"""Tables of 探访关爱 on the store's declarative base (migration 0007).

* ``visits``: one row per visit record, never changed after it is written (append-only); the
  full entry as entered is kept in ``entry`` (JSON), the columns the plan and the measure read
  beside it. Visits from other laptops of the township arrive by pull like assessments.
* ``referrals``: one row per referral made on a visit, tracked to closure: ``status``
  ``open`` → ``closed`` (with the date and what was done), one new version per change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assessment.records.schema import Base


class VisitRow(Base):
    """A visit (探访记录)."""

    __tablename__ = "visits"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    elder_id: Mapped[str] = mapped_column(String(36))
    visit_date: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16))
    visitor: Mapped[str] = mapped_column(String(64))
    risk: Mapped[str] = mapped_column(String(16))
    emergency: Mapped[bool] = mapped_column(Boolean)
    change_found: Mapped[bool] = mapped_column(Boolean)
    entry: Mapped[dict[str, Any]] = mapped_column()
    plan_ref: Mapped[str] = mapped_column(String(80))
    tier: Mapped[str] = mapped_column(String(32))
    device_id: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_visits_elder_date", "elder_id", "visit_date"),
                      Index("ix_visits_date", "visit_date"))


class ReferralRow(Base):
    """A referral (转介) of a need found on a visit, to a service item or a department."""

    __tablename__ = "referrals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    visit_id: Mapped[str] = mapped_column(String(36), index=True)
    elder_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), index=True)
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
