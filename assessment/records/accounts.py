"""The accounts of a workspace (``workspace.accounts``) and who may manage whom (the rules
for usernames, roles and display names are :mod:`assessment.accountrules`).

Every account opens the same database key, wrapped for it in the keyring under its own
password; a supervisor's role is a grant signed by a supervisor's key (:mod:`rolegrants`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.accounts import check_display_name, check_role, check_username
from assessment.errors import InputRejected, Problem
from assessment.records import changelog, rolegrants
from assessment.records.api import Assessor, RecordNotFound
from assessment.records.context import Context
from assessment.records.convert import account_payload, assessor
from assessment.records.datadir import keyring_path
from assessment.records.keyring import Keyring
from assessment.records.schema import Account, Setting
from assessment.wire.countygrant import account_fingerprint

log = logging.getLogger(__name__)

class Accounts:
    """The user accounts of this laptop (``workspace.accounts``)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def all(self) -> Sequence[Assessor]:
        """Every account of this laptop, active first, by display name."""
        with self._ctx.store.reading() as session:
            rows = session.scalars(select(Account).order_by(Account.active.desc(),
                                                            Account.display_name))
            return [assessor(row) for row in rows]

    def own_key(self) -> str | None:
        """The fingerprint of the signed-in account's own key (what a county grant of the
        supervisor role names); None when the account has no key (signed in without a
        password, or an account made before accounts had keys)."""
        if self._ctx.signing_seed is None:
            return None
        return account_fingerprint(rolegrants.public_of_seed(self._ctx.signing_seed))

    def check_granted_key(self) -> None:
        """Work as an assessor when the supervisor grant names another account key (the
        account was made again under a granted username)."""
        ctx = self._ctx
        if not ctx.is_supervisor:
            return
        with ctx.store.reading() as session:
            if rolegrants.granted_supervisors(session, ctx.device_id) is None:
                return  # an old workspace before its grants: bootstrapped next
            held = rolegrants.holds_granted_key(session, ctx.device_id, ctx.username,
                                                ctx.signing_seed)
        if not held:
            log.warning("账户 %s 的管理员授权不属于本账户的密钥，按评估员处理", ctx.username)
            ctx.user = replace(ctx.user, role="assessor")

    def _require_supervisor(self) -> None:
        if not self._ctx.is_supervisor:
            raise InputRejected([Problem("role", "forbidden", "只有管理员可以管理账户")])

    def _keyring(self) -> Keyring:
        return Keyring.load(keyring_path(self._ctx.data_dir))

    def _save(self, ring: Keyring) -> None:
        ring.save(keyring_path(self._ctx.data_dir))

    def add(self, username: str, password: str, display_name: str,
            role: str = "assessor") -> Assessor:
        """Add an account (supervisors only): the same database key, wrapped for it."""
        self._require_supervisor()
        name = check_username(username)
        check_role(role)
        shown = check_display_name(display_name)
        ring = self._keyring()
        store = self._ctx.store
        with store.writing() as (session, state):
            if session.get(Account, name) is not None:
                raise InputRejected([Problem("username", "duplicate", "该用户名已存在")])
            row = Account(username=name, display_name=shown, role=role, active=True,
                          created_at=changelog.utc_now(), version=1)
            session.add(row)
            session.flush()
            store.log(session, state, "assessor", name, 1, account_payload(row), "add_account")
            # The wrap is written last, inside the transaction: if it fails, nothing commits.
            seed = ring.add(name, password, self._ctx.key)
            if role == rolegrants.SUPERVISOR:
                self._grant_supervisor(session, name, seed)
            self._save(ring)
            return assessor(row)

    def bootstrap_role_grants(self) -> None:
        """A workspace made before grants existed: its first supervisor to sign in with a
        password becomes the root and grants the supervisors the accounts table names."""
        ctx = self._ctx
        if ctx.signing_seed is None or not ctx.is_supervisor:
            return
        seed = ctx.signing_seed
        with ctx.store.reading() as session:
            if session.get(Setting, rolegrants.ROOT) is not None:
                return
        with ctx.store.writing() as (session, state):
            root = rolegrants.public_of_seed(seed)
            ctx.store.audit(session, state, "role_grants_bootstrap", "assessor", ctx.username,
                            {"role_root": root})
            rolegrants.store(session, rolegrants.ROOT, root)
            names = session.scalars(select(Account.username).where(
                Account.role == rolegrants.SUPERVISOR, Account.active.is_(True))).all()
            grants = {name: rolegrants.make_grant(
                seed, ctx.username, ctx.device_id, name, rolegrants.SUPERVISOR,
                root if name == ctx.username else "") for name in names}
            rolegrants.store(session, rolegrants.GRANTS, grants)

    def _grant_supervisor(self, session: Session, username: str, seed: bytes) -> None:
        """Sign a supervisor grant for ``username`` (whose signing seed is ``seed``) with the
        signed-in supervisor's own key."""
        ctx = self._ctx
        if ctx.signing_seed is None:
            raise InputRejected([Problem("role", "signing_key",
                                         "授予管理员身份须由管理员用密码登录后操作")])
        row = session.get(Setting, rolegrants.GRANTS)
        grants = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
        grants[username] = rolegrants.make_grant(
            ctx.signing_seed, ctx.username, ctx.device_id, username,
            rolegrants.SUPERVISOR, rolegrants.public_of_seed(seed))
        rolegrants.store(session, rolegrants.GRANTS, grants)

    def unlock(self, username: str) -> None:
        """Lift the lock that wrong passwords put on an account (supervisors only)."""
        self._require_supervisor()
        name = check_username(username)
        ring = self._keyring()
        store = self._ctx.store
        with store.writing() as (session, state):
            store.audit(session, state, "unlock_account", "assessor", name)
            store.touched("assessor", name)
            if ring.clear_failures(name):
                self._save(ring)

    def change_password(self, old_password: str, new_password: str) -> None:
        """Re-wrap the key under a new password for the signed-in account."""
        ctx = self._ctx
        ring = self._keyring()
        key, seed = ring.unlock_all(ctx.username, old_password)
        ctx.signing_seed = ring.add(ctx.username, new_password, key, signing_seed=seed)
        with ctx.store.writing() as (session, state):
            ctx.store.audit(session, state, "change_password", "assessor", ctx.username)
            self._save(ring)

    def set_active(self, username: str, active: bool, password: str | None = None) -> None:
        """Deactivate an account (its key wrap is deleted) or reactivate it with a password."""
        self._require_supervisor()
        name = check_username(username)
        if name == self._ctx.username and not active:
            raise InputRejected([Problem("username", "self", "不能停用当前登录的账户")])
        ring = self._keyring()
        if active:
            if password is None:
                raise InputRejected([Problem("password", "missing", "重新启用账户须设置新密码")])
            seed: bytes | None = ring.add(name, password, self._ctx.key)
        else:
            seed = None
            ring.remove(name)
        store = self._ctx.store
        with store.writing() as (session, state):
            row = session.get(Account, name)
            if row is None:
                raise RecordNotFound("账户", name)
            if seed is not None and row.role == rolegrants.SUPERVISOR:
                self._grant_supervisor(session, name, seed)  # a new key: a new grant
            row.active = active
            row.version += 1
            store.log(session, state, "assessor", name, row.version, account_payload(row),
                      "activate_account" if active else "deactivate_account")
            self._save(ring)
