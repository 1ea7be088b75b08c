"""The sync outbox of a workspace (``workspace.outbox``): the change log as the county sees it.

:class:`SyncOutbox` implements the :class:`~assessment.wire.outbox.Outbox` protocol over the
change log (push, acknowledgement, pull with field-level merge, county notices) and reads and
verifies this device's hash chain. The sync client, bundles and receipts are handed
``workspace.outbox``; nothing else of the workspace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text

from assessment.records import changelog, countynotes, incoming, rolegrants
from assessment.records.backup import oldest_unsynced
from assessment.records.context import Context
from assessment.records.convert import account_payload
from assessment.records.datadir import keyring_path
from assessment.records.elders import index_elder
from assessment.records.incoming import IncomingReport
from assessment.records.keyring import Keyring
from assessment.records.schema import Account, Setting
from assessment.records.settings import Settings, put_setting
from assessment.wire.changes import ChainBreak, Change, WireChange, verify_chain
from assessment.wire.countydevice import county_device_of
from assessment.wire.outbox import CountyNotices, PendingSummary, SyncState


class SyncOutbox:
    """Sync bookkeeping over the change log of one open workspace."""

    def __init__(self, ctx: Context, settings: Settings) -> None:
        self._ctx = ctx
        self._settings = settings

    @property
    def device_id(self) -> str:
        """This device's id (the Outbox protocol)."""
        return self._ctx.device_id

    def changes_after(self, after_seq: int = 0, limit: int | None = None) -> list[Change]:
        """Outbox changes above ``after_seq`` in sequence order (for push and bundles)."""
        with self._ctx.store.reading() as session:
            return changelog.changes_after(session, after_seq, limit)

    def pending_changes(self, after_seq: int | None = None,
                        limit: int | None = None) -> list[Change]:
        """Own changes above ``after_seq`` (default: the acknowledged sequence), oldest first,
        at most ``limit`` (the Outbox protocol). Refused once the county revoked this device."""
        self._require_allowed()
        with self._ctx.store.reading() as session:
            if after_seq is None:
                return changelog.unacked(session, limit)
            return changelog.changes_after(session, after_seq, limit)

    def pending_wire(self, after_seq: int, limit: int) -> list[WireChange]:
        """Own changes above ``after_seq`` in wire form, at most ``limit`` (the WireOutbox
        protocol: push and bundles copy the stored canonical text without parsing it).
        Refused once the county revoked this device."""
        self._require_allowed()
        with self._ctx.store.reading() as session:
            return changelog.wire_after(session, after_seq, limit)

    def pending_summary(self, after_seq: int, limit: int) -> PendingSummary | None:
        """How many own changes above ``after_seq`` (at most ``limit``) and of which record
        types, counted without reading them (the WireOutbox protocol: a bundle's manifest
        is written before its frames)."""
        self._require_allowed()
        with self._ctx.store.reading() as session:
            return changelog.summary_after(session, after_seq, limit)

    def mark_acked(self, up_to_seq: int) -> None:
        """The county holds every own change up to ``up_to_seq`` (Outbox protocol).

        Never moves backwards (an older acknowledgement is a no-op) and deletes nothing; a
        sequence beyond this device's log is refused (:class:`InputRejected`)."""
        with self._ctx.store.writing() as (session, state):
            if up_to_seq > state.acked_seq or up_to_seq > state.last_seq:
                changelog.mark_acked(session, state, up_to_seq)

    def sync_state(self) -> SyncState:
        """Last own change, acknowledged sequence and pull cursor (Outbox protocol)."""
        with self._ctx.store.reading() as session:
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
        self._require_allowed()
        interval = self._settings.interval_months()
        county = incoming.CountyIdentity(
            county_device_of(self._settings.get(countynotes.COUNTY_SIGN_PUBLIC)),
            self._settings.get(countynotes.TOWNSHIP_CODE))
        store = self._ctx.store
        with store.writing() as (session, state):
            report = incoming.apply_changes(session, state, store.clock, changes, cursor,
                                            interval_months=interval,
                                            index_elder=index_elder, county=county)
            if report.applied or report.conflicts:
                for change in changes:
                    store.touched(change.record_type, change.record_id)
                    elder_id = change.payload.get("elder_id")
                    if isinstance(elder_id, str):  # an assessment moves its elder's grade
                        store.touched("elder", elder_id)
            return report

    def keep_county_grants(self, grants: Sequence[Mapping[str, Any]]) -> int:
        """Keep the role grants a county receipt carried (those signed by this laptop's
        county for this device; an older grant never replaces a newer one); how many were.
        The receipt protocol's :class:`~assessment.wire.receipt.GrantKeeper`."""
        county = self._settings.get(rolegrants.COUNTY_SIGN_PUBLIC)
        if not isinstance(county, str) or not county:
            return 0
        store = self._ctx.store
        with store.writing() as (session, state):
            kept = sum(rolegrants.keep_county_grant(session, grant, county, state.device_id)
                       for grant in grants)
            if kept:
                store.audit(session, state, "county_role_grants", "assessor",
                            self._ctx.username, {"grants": kept})
        return kept

    def note_county(self, notices: CountyNotices) -> None:
        """Remember what the county announced (Outbox protocol): new service-list versions
        (installed by ``workspace.lists.install_announced`` once fetched), accounts revoked
        (marked inactive here, their key wraps removed) and whether this very device was
        revoked."""
        ctx = self._ctx
        account = self._settings.get(countynotes.ACCOUNT)
        revoked_self = (ctx.device_id in notices.revoked_devices
                        or (account is not None and account in notices.revoked_accounts))
        with ctx.store.reading() as session:
            to_deactivate = [name for name in sorted(set(notices.revoked_accounts))
                             if (row := session.get(Account, name)) is not None and row.active]
        ring = Keyring.load(keyring_path(ctx.data_dir)) if to_deactivate else None
        with ctx.store.writing() as (session, state):
            countynotes.record_lists(session, notices.list_versions)
            for name in to_deactivate:
                row = session.get_one(Account, name)
                row.active = False
                row.version += 1
                ctx.store.log(session, state, "assessor", name, row.version,
                              account_payload(row), "deactivate_account", {"by": "county"})
                if ring is not None and name != ctx.username:
                    ring.remove(name)
            if revoked_self and session.get(Setting, countynotes.REVOKED) is None:
                put_setting(ctx.store, session, state, countynotes.REVOKED,
                            "设备或账号已被停用")
            if ring is not None:
                ring.save(keyring_path(ctx.data_dir))

    def mark_revoked(self, reason: str) -> None:
        """Remember that the county refused this device as revoked; later sync is refused."""
        if self._settings.get(countynotes.REVOKED) is None:
            self._settings.set(countynotes.REVOKED, reason)

    def _require_allowed(self) -> None:
        reason = self._settings.get(countynotes.REVOKED)
        if reason is not None:
            raise countynotes.SyncRefused(countynotes.revoked_message(str(reason)))

    def conflicts(self, record_id: str | None = None, *,
                  include_resolved: bool = False) -> list[incoming.LocalConflict]:
        """Conflicts and other sync problems kept on this laptop, oldest first; those the
        county's decision settled only with ``include_resolved``."""
        with self._ctx.store.reading() as session:
            return incoming.read_conflicts(session, record_id,
                                           include_resolved=include_resolved)

    def chain_head(self) -> tuple[int, str, int]:
        """(last sequence, last hash, last acknowledged sequence) of this device's chain."""
        with self._ctx.store.reading() as session:
            state = changelog.device_state(session)
            return state.last_seq, state.last_hash, state.acked_seq

    def verify(self) -> list[ChainBreak]:
        """Breaks in the stored change chain (empty when intact)."""
        with self._ctx.store.reading() as session:
            return verify_chain(changelog.stored_chain(session))

    def oldest_unsynced(self) -> tuple[int, datetime] | None:
        """Sequence and time of the oldest own change of a record (not an audit entry) the
        county has not acknowledged (the backup reminder)."""
        return oldest_unsynced(self._ctx.store.engine)

    def last_seq_before(self, cutoff: datetime) -> int:
        """The last own change of a record (not an audit entry) written before ``cutoff``."""
        with self._ctx.store.connect() as conn:
            value = conn.execute(text("SELECT MAX(seq) FROM change_log WHERE created_at < :cut "
                                      "AND record_type != 'audit'"),
                                 {"cut": cutoff.replace(tzinfo=None)}).scalar()
        return int(value or 0)
