"""The audit trail of a workspace (``workspace.audit``): read it, verify it, add to it.

Writes add their own audit entries in their transaction (:meth:`Store.log
<assessment.records.store.Store.log>`); this manager adds what only the audit trail must
show (a certificate viewed or printed, a decision with its reason) and checks the chain, the
supervisors' signed grants and the database file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, text

from assessment.records import rolegrants
from assessment.records.auditlog import AuditBreak, AuditRecord, read_audit, verify_audit
from assessment.records.context import Context
from assessment.records.schema import Account


class Audit:
    """The hash-chained audit log of one open workspace."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def log(self, record_type: str, record_id: str, action: str = "view_certificate",
            detail: Mapping[str, Any] | None = None) -> None:
        """Record what the audit trail must show: a certificate viewed or printed, or a
        decision with its reason in ``detail`` (an elder under 60 registered anyway)."""
        store = self._ctx.store
        with store.writing() as (session, state):
            store.audit(session, state, action, record_type, record_id, detail)

    def trail(self, record_id: str | None = None, after_seq: int = 0,
              limit: int | None = None) -> list[AuditRecord]:
        """Audit entries in order (of one record when ``record_id`` is given)."""
        with self._ctx.store.reading() as session:
            return read_audit(session, record_id=record_id, after_seq=after_seq, limit=limit)

    def verify(self) -> list[AuditBreak]:
        """Breaks in the audit chain, and supervisor accounts without a valid signed grant
        (kind ``role_grant``: they work as assessors); empty when all is intact."""
        with self._ctx.store.reading() as session:
            breaks = verify_audit(session)
            valid = rolegrants.granted_supervisors(session, self._ctx.device_id)
            supervisors = session.scalars(select(Account.username).where(
                Account.role == rolegrants.SUPERVISOR, Account.active.is_(True))).all()
        if valid is None:
            if supervisors:
                breaks.append(AuditBreak(0, "role_grant", "本机尚未建立管理员授权签名"
                                         "（请管理员用密码登录一次）"))
            return breaks
        breaks += [AuditBreak(0, "role_grant", f"账户 {name} 标为管理员，但没有有效的签名授权"
                              "（可能被直接改动过数据库），按评估员处理")
                   for name in supervisors if name not in valid]
        me, seed = self._ctx.username, self._ctx.signing_seed
        if seed is not None and me in valid:
            with self._ctx.store.reading() as session:
                held = rolegrants.holds_granted_key(session, self._ctx.device_id, me, seed)
            if not held:
                breaks.append(AuditBreak(0, "role_grant", f"账户 {me} 的管理员授权属于另一把"
                                         "账户密钥（账户可能被删除后重建），按评估员处理"))
        return breaks

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` (``"ok"`` when the file is sound)."""
        with self._ctx.store.connect() as conn:
            rows = conn.execute(text("PRAGMA integrity_check")).scalars().all()
            return "\n".join(str(r) for r in rows)
