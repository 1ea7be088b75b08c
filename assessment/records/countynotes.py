"""What the county told this laptop besides records, and where the laptop keeps it.

The enrolment (server address, county public keys, township, account, enrolled flag) and a
revocation are device-local settings (``local.sync.*``): stored in the encrypted workspace,
never put in the change log. Announced service-list versions are rows of ``county_lists``:
announced first, then ``installed`` once their content was fetched, checked against the
announced SHA-256 and the county's signature and installed by
:mod:`assessment.records.listinstall` into the workspace's data folder
(``<data dir>/service_lists``), or ``rejected`` with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment import settings
from assessment.records.changelog import utc_now
from assessment.records.sync_schema import CountyList
from assessment.wire.outbox import ListVersion

# The enrolment's setting keys (registered in :mod:`assessment.settings`).
PREFIX = settings.SYNC_PREFIX
SERVER_URL = settings.SYNC_SERVER_URL.key
PUBLIC_URL = settings.SYNC_PUBLIC_URL.key  # the county's public verification address (QR)
COUNTY_SIGN_PUBLIC = settings.SYNC_COUNTY_SIGN_PUBLIC.key
COUNTY_BOX_PUBLIC = settings.SYNC_COUNTY_BOX_PUBLIC.key
TOWNSHIP_CODE = settings.SYNC_TOWNSHIP_CODE.key
TOWNSHIP_NAME = settings.SYNC_TOWNSHIP_NAME.key
ACCOUNT = settings.SYNC_ACCOUNT.key
ENROLLED = settings.SYNC_ENROLLED.key
REVOKED = settings.SYNC_REVOKED.key  # the county's reason, once this device was revoked
LISTS_FOLDER = "service_lists"

ANNOUNCED, INSTALLED, REJECTED = "announced", "installed", "rejected"


class SyncRefused(Exception):
    """This device may not sync any more (revoked by the county); ``str()`` is for people."""


def revoked_message(reason: str) -> str:
    """The one sentence shown whenever a revoked device is asked to sync."""
    return (f"本机已被县级管理员停用（{reason}），不能再同步或导出数据包；"
            "未上传的记录仍保存在本机，请联系县级管理员处理")


@dataclass(frozen=True, slots=True)
class CountyListState:
    """One announced service-list version and what became of it here."""

    list_id: str
    version: int
    sha256: str
    published_at: str
    status: str
    detail: str


def record_lists(session: Session, versions: Iterable[ListVersion]) -> int:
    """Remember announced list versions; return how many are new (or changed content)."""
    fresh = 0
    for announced in versions:
        row = session.get(CountyList, (announced.list_id, announced.version))
        if row is None:
            session.add(CountyList(list_id=announced.list_id, version=announced.version,
                                   sha256=announced.sha256, published_at=announced.published_at,
                                   status=ANNOUNCED, detail="", updated_at=utc_now()))
            fresh += 1
        elif row.sha256 != announced.sha256:
            row.sha256, row.status, row.detail = announced.sha256, ANNOUNCED, ""
            row.updated_at = utc_now()
            fresh += 1
    return fresh


def read_lists(session: Session, status: str | None = None) -> list[CountyListState]:
    """Announced list versions (of one status when given), by list and version."""
    query = select(CountyList).order_by(CountyList.list_id, CountyList.version)
    if status is not None:
        query = query.where(CountyList.status == status)
    return [CountyListState(r.list_id, r.version, r.sha256, r.published_at, r.status, r.detail)
            for r in session.scalars(query)]


def mark_list(session: Session, list_id: str, version: int, status: str, detail: str) -> None:
    """Record what became of one announced version."""
    row = session.get(CountyList, (list_id, version))
    if row is not None:
        row.status, row.detail, row.updated_at = status, detail[:500], utc_now()
