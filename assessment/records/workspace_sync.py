"""The sync and audit half of the :class:`~assessment.records.workspace.Workspace` facade.

These methods implement the :class:`~assessment.wire.outbox.Outbox` protocol over the change
log (push, acknowledgement, pull with field-level merge, county notices), keep the device's one
identity, and read and verify the hash-chained change and audit logs. They live in a mixin so
that the facade stays one class while each module keeps to one concept; the transaction and
logging helpers they use are the facade's own (declared below for the type checker).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from assessment.eligibility.listfiles import LIST_FILE_LIMITS, ServiceList
from assessment.eligibility.listseal import ListTrust
from assessment.errors import InputRejected, Problem
from assessment.inputreader import read_bytes
from assessment.records import changelog, countynotes, incoming, listinstall, rolegrants
from assessment.records.api import Assessor
from assessment.records.auditlog import AuditBreak, AuditRecord, read_audit
from assessment.records.auditlog import verify_audit as _verify_audit
from assessment.records.convert import account_payload
from assessment.records.datadir import keyring_path
from assessment.records.incoming import IncomingReport
from assessment.records.keyring import Keyring
from assessment.records.schema import Account, Assessment, DeviceState, Elder, Setting
from assessment.records.settings import check_setting
from assessment.settings import ROUTINE_INTERVAL_MONTHS, is_local
from assessment.wire.changes import ChainBreak, Change, verify_chain
from assessment.wire.countydevice import county_device_of
from assessment.wire.device import DeviceKeys
from assessment.wire.outbox import CountyNotices, SyncState

if TYPE_CHECKING:

    from assessment.records.store import Store


class WorkspaceSync:
    """Sync bookkeeping, device identity and log verification of an open workspace."""

    if TYPE_CHECKING:  # provided by Workspace
        device_id: str
        data_dir: Path
        current_user: Assessor
        _store: Store
        _signing_seed: bytes | None

        def _reading(self) -> AbstractContextManager[Session]: ...
        def _writing(self) -> AbstractContextManager[tuple[Session, DeviceState]]: ...
        def _log(self, session: Session, state: DeviceState, record_type: str,
                 record_id: str, version: int, payload: Mapping[str, Any], action: str,
                 detail: Mapping[str, Any] | None = None) -> None: ...
        def _put_setting(self, session: Session, state: DeviceState, key: str,
                         value: Any) -> None: ...
        def _index_elder(self, session: Session, row: Elder) -> None: ...
        def get_setting(self, key: str, default: Any = None) -> Any: ...
        def set_setting(self, key: str, value: Any) -> None: ...

    def changes_after(self, after_seq: int = 0, limit: int | None = None) -> list[Change]:
        """Outbox changes above ``after_seq`` in sequence order (for push and bundles)."""
        with self._reading() as session:
            return changelog.changes_after(session, after_seq, limit)

    def pending_changes(self, after_seq: int | None = None,
                        limit: int | None = None) -> list[Change]:
        """Own changes above ``after_seq`` (default: the acknowledged sequence), oldest first,
        at most ``limit`` (the Outbox protocol). Refused once the county revoked this device."""
        self._require_sync_allowed()
        with self._reading() as session:
            if after_seq is None:
                return changelog.unacked(session, limit)
            return changelog.changes_after(session, after_seq, limit)

    def mark_acked(self, up_to_seq: int) -> None:
        """The county holds every own change up to ``up_to_seq`` (Outbox protocol).

        Never moves backwards (an older acknowledgement is a no-op) and deletes nothing; a
        sequence beyond this device's log is refused (:class:`InputRejected`)."""
        with self._writing() as (session, state):
            if up_to_seq > state.acked_seq or up_to_seq > state.last_seq:
                changelog.mark_acked(session, state, up_to_seq)

    def sync_state(self) -> SyncState:
        """Last own change, acknowledged sequence and pull cursor (Outbox protocol)."""
        with self._reading() as session:
            state = changelog.device_state(session)
            return SyncState(state.device_id, state.last_seq, state.acked_seq,
                             incoming.pull_cursor(session))

    def apply_incoming(self, changes: Sequence[Change], cursor: int) -> None:
        """Apply other laptops' changes and store the pull cursor in one transaction
        (Outbox protocol; see :mod:`assessment.records.incoming`). Idempotent; nothing of it
        enters this device's change log."""
        self.apply_incoming_report(changes, cursor)

    def apply_incoming_report(self, changes: Sequence[Change], cursor: int) -> IncomingReport:
        """:meth:`apply_incoming`, answering what it did."""
        self._require_sync_allowed()
        interval = int(self.get_setting(ROUTINE_INTERVAL_MONTHS.key))
        county = incoming.CountyIdentity(
            county_device_of(self.get_setting(countynotes.COUNTY_SIGN_PUBLIC)),
            self.get_setting(countynotes.TOWNSHIP_CODE))
        with self._writing() as (session, state):
            report = incoming.apply_changes(session, state, self._store.clock, changes, cursor,
                                            interval_months=interval,
                                            index_elder=self._index_elder, county=county)
            if report.applied or report.conflicts:
                for change in changes:
                    self._store.touched(change.record_type, change.record_id)
                    elder_id = change.payload.get("elder_id")
                    if isinstance(elder_id, str):  # an assessment moves its elder's grade
                        self._store.touched("elder", elder_id)
            return report

    def keep_county_grants(self, grants: Sequence[Mapping[str, Any]]) -> int:
        """Keep the role grants a county receipt carried (those signed by this laptop's
        county for this device; an older grant never replaces a newer one); how many were.
        The receipt protocol's :class:`~assessment.wire.receipt.GrantKeeper`."""
        county = self.get_setting(rolegrants.COUNTY_SIGN_PUBLIC)
        if not isinstance(county, str) or not county:
            return 0
        with self._writing() as (session, state):
            kept = sum(rolegrants.keep_county_grant(session, grant, county, state.device_id)
                       for grant in grants)
            if kept:
                self._store.audit(session, state, "county_role_grants", "assessor",
                                  self.current_user.username, {"grants": kept})
        return kept

    def note_county(self, notices: CountyNotices) -> None:
        """Remember what the county announced (Outbox protocol): new service-list versions
        (installed by :meth:`install_county_list` once fetched), accounts revoked (marked
        inactive here, their key wraps removed) and whether this very device was revoked."""
        account = self.get_setting(countynotes.ACCOUNT)
        revoked_self = (self.device_id in notices.revoked_devices
                        or (account is not None and account in notices.revoked_accounts))
        with self._reading() as session:
            to_deactivate = [name for name in sorted(set(notices.revoked_accounts))
                             if (row := session.get(Account, name)) is not None and row.active]
        ring = Keyring.load(keyring_path(self.data_dir)) if to_deactivate else None
        with self._writing() as (session, state):
            countynotes.record_lists(session, notices.list_versions)
            for name in to_deactivate:
                row = session.get_one(Account, name)
                row.active = False
                row.version += 1
                self._log(session, state, "assessor", name, row.version, account_payload(row),
                          "deactivate_account", {"by": "county"})
                if ring is not None and name != self.current_user.username:
                    ring.remove(name)
            if revoked_self and session.get(Setting, countynotes.REVOKED) is None:
                self._put_setting(session, state, countynotes.REVOKED, "设备或账号已被停用")
            if ring is not None:
                ring.save(keyring_path(self.data_dir))

    def mark_sync_revoked(self, reason: str) -> None:
        """Remember that the county refused this device as revoked; later sync is refused."""
        if self.get_setting(countynotes.REVOKED) is None:
            self.set_setting(countynotes.REVOKED, reason)

    def _require_sync_allowed(self) -> None:
        reason = self.get_setting(countynotes.REVOKED)
        if reason is not None:
            raise countynotes.SyncRefused(countynotes.revoked_message(str(reason)))

    def county_lists(self, status: str | None = None) -> list[countynotes.CountyListState]:
        """Service-list versions the county announced, and whether they are installed."""
        with self._reading() as session:
            return countynotes.read_lists(session, status)

    def list_trust(self) -> ListTrust:
        """Whose list seals this workspace accepts (its county's key, when enrolled)."""
        return listinstall.workspace_trust(self.get_setting)

    def install_list(self, path: Path) -> ServiceList:
        """Install a service-list file (supervisors only): county-signed, or on a laptop
        with no county a local list sealed with the supervisor's own key (audited)."""
        if self.current_user.role != "supervisor":
            raise InputRejected([Problem("role", "forbidden", "只有管理员可以安装服务清单")])
        data = read_bytes(path, LIST_FILE_LIMITS.max_bytes)
        version = listinstall.install_list(
            self.data_dir, data, str(path), trust=self.list_trust(),
            username=self.current_user.username, signing_seed=self._signing_seed)
        with self._writing() as (session, state):
            self._store.audit(session, state, "install_list", "service_list", version.ref,
                              {"origin": version.origin, "sha256": version.digest})
            self._store.touched("service_list", version.ref)
        return version

    def install_county_list(self, announced: countynotes.CountyListState,
                            content: str, signature: str = "") -> str:
        """Install fetched content of an announced list version into this data folder
        (checked against the announced hash and the county's signature); return the new
        status."""
        status, detail = listinstall.install_county_content(
            self.data_dir, announced, content, signature, self.list_trust())
        with self._writing() as (session, _state):
            countynotes.mark_list(session, announced.list_id, announced.version, status,
                                  detail)
        return status

    def sync_conflicts(self, record_id: str | None = None, *,
                       include_resolved: bool = False) -> list[incoming.LocalConflict]:
        """Conflicts and other sync problems kept on this laptop, oldest first; those the
        county's decision settled only with ``include_resolved``."""
        with self._reading() as session:
            return incoming.read_conflicts(session, record_id,
                                           include_resolved=include_resolved)

    def set_local_settings(self, values: Mapping[str, Any]) -> None:
        """Store several device-local settings (``device.*``/``local.*``, such as the
        enrolment) in one transaction; none of them enters the change log."""
        for key, value in values.items():
            if not is_local(key):
                raise InputRejected([Problem(key, "local", "只能在此保存本机设置")])
            check_setting(key, value)
        with self._writing() as (session, state):
            for key, value in values.items():
                self._put_setting(session, state, key, value)

    def device_keys(self) -> DeviceKeys:
        """This laptop's one device identity: the workspace's device id with its Ed25519 key
        (certificates, request and bundle signatures) and X25519 key, both kept only in the
        encrypted settings (``device.*``) and made on first use."""
        return DeviceKeys.from_settings(self.device_id, self.get_setting, self.set_setting)

    def chain_head(self) -> tuple[int, str, int]:
        """(last sequence, last hash, last acknowledged sequence) of this device's chain."""
        with self._reading() as session:
            state = changelog.device_state(session)
            return state.last_seq, state.last_hash, state.acked_seq

    def verify_changes(self) -> list[ChainBreak]:
        """Breaks in the stored change chain (empty when intact)."""
        with self._reading() as session:
            return verify_chain(changelog.stored_chain(session))

    def audit_trail(self, record_id: str | None = None, after_seq: int = 0,
                    limit: int | None = None) -> list[AuditRecord]:
        """Audit entries in order (of one record when ``record_id`` is given)."""
        with self._reading() as session:
            return read_audit(session, record_id=record_id, after_seq=after_seq, limit=limit)

    def verify_audit(self) -> list[AuditBreak]:
        """Breaks in the audit chain, and supervisor accounts without a valid signed grant
        (kind ``role_grant``: they work as assessors); empty when all is intact."""
        with self._reading() as session:
            breaks = _verify_audit(session)
            valid = rolegrants.granted_supervisors(session, self.device_id)
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
        me = self.current_user.username
        if self._signing_seed is not None and me in valid:
            with self._reading() as session:
                held = rolegrants.holds_granted_key(session, self.device_id, me,
                                                    self._signing_seed)
            if not held:
                breaks.append(AuditBreak(0, "role_grant", f"账户 {me} 的管理员授权属于另一把"
                                         "账户密钥（账户可能被删除后重建），按评估员处理"))
        return breaks

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` (``"ok"`` when the file is sound)."""
        with self._store.connect() as conn:
            rows = conn.execute(text("PRAGMA integrity_check")).scalars().all()
            return "\n".join(str(r) for r in rows)

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables (status bar, diagnostics)."""
        with self._reading() as session:
            return {
                "elders": int(session.scalar(select(func.count()).select_from(Elder)) or 0),
                "assessments": int(session.scalar(select(func.count())
                                                  .select_from(Assessment)) or 0),
                "changes": changelog.device_state(session).last_seq,
            }

