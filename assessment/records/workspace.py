"""The workspace: one open, encrypted store, signed in as one account, and its managers.

Signing in *is* opening: :meth:`Workspace.open` unwraps the database key with the account's
password (:mod:`assessment.records.keyring`), opens the SQLCipher database and runs the
migrations. The workspace owns the session (who is signed in on which device, the key) and
the unit of work (:class:`~assessment.records.store.Store`: every write is one ``BEGIN
IMMEDIATE`` transaction that changes the record, appends its new version to the change log
(sync outbox) and appends an audit entry, all committed together or not at all, then tells
each subscriber once what changed).

Everything else is done through its managers, as anki's ``Collection`` does:
``workspace.elders``, ``.assessments``, ``.accounts``, ``.settings``, ``.outbox`` (sync),
``.audit``, ``.lists`` (service lists), ``.visits`` and ``.registry`` (elder lifecycle,
roster imports, duplicates). Each is a small class in its own module over the shared
:class:`~assessment.records.context.Context`; the database engine stays private.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from assessment.accounts import check_display_name, check_role, check_username
from assessment.devicekeys import SETTING_KEY as SIGNING_KEY_SETTING
from assessment.devicekeys import DeviceSigningKey
from assessment.errors import InputRejected, Problem
from assessment.forms import Form, default_form
from assessment.ids import new_id
from assessment.privatefiles import loose_paths, loose_warning, make_private_dir
from assessment.records import changelog, rolegrants
from assessment.records.accounts import Accounts
from assessment.records.api import (
    Assessor,
    Listener,
    SignInFailed,
    StoreError,
)
from assessment.records.assessments import Assessments
from assessment.records.audit import Audit
from assessment.records.backup import LAST_EXTERNAL_BACKUP, write_backup
from assessment.records.context import Context
from assessment.records.convert import (
    account_payload,
    assessor,
)
from assessment.records.database import open_engine, writer
from assessment.records.datadir import (
    database_path,
    keyring_path,
    store_files,
    workspace_exists,
)
from assessment.records.elders import Elders
from assessment.records.keyring import Keyring, new_database_key
from assessment.records.listinstall import ServiceLists
from assessment.records.migrate import upgrade_to_head
from assessment.records.outbox import SyncOutbox
from assessment.records.registry_store import Registry
from assessment.records.schema import (
    Account,
    Assessment,
    DeviceState,
    Elder,
    Setting,
)
from assessment.records.settings import DEFAULTS, Settings, check_setting, put_setting
from assessment.records.store import Store
from assessment.records.visits import VisitBook
from assessment.wire.changes import GENESIS_HASH
from assessment.wire.device import DeviceKeys

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DEVICE_CODE = re.compile(r"^[0-9A-Z]{2,10}$")
_BAD_DEVICE_CODE = Problem("device_code", "shape", "设备代码应为 2–10 位大写字母或数字")


def new_device_code() -> str:
    """Six random Crockford base-32 characters (30 bits): a device code for callers that
    create a workspace with a code of their own (tests, tools). Otherwise a new workspace
    takes its signing key's key code (see :meth:`Workspace.create`)."""
    value = int.from_bytes(os.urandom(4), "big") >> 2
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in range(5, -1, -1))


log = logging.getLogger(__name__)


class Workspace:
    """An open store, signed in as one account (see the module docstring)."""

    def __init__(self, engine: Engine, key: bytes, data_dir: Path, user: Assessor,
                 device_id: str, device_code: str, form: Form | None = None) -> None:
        """Use :meth:`open` or :meth:`create`; this wraps an already migrated engine.

        ``key`` is the unwrapped database key, kept for the session so that a supervisor can
        wrap it for a new account.
        """
        self._store = Store(engine, user)
        self._ctx = Context(self._store, data_dir, key, device_id, device_code, user,
                            form if form is not None else default_form())
        #: Files of the data folder other users could read (found at sign-in; warn about them).
        self.loose_paths: list[Path] = []
        self.settings = Settings(self._ctx)
        """Settings (:class:`~assessment.records.settings.Settings`)."""
        self.accounts = Accounts(self._ctx)
        """User accounts (:class:`~assessment.records.accounts.Accounts`)."""
        self.audit = Audit(self._ctx)
        """The audit trail (:class:`~assessment.records.audit.Audit`)."""
        self.lists = ServiceLists(self._ctx, self.settings)
        """Service-list versions (:class:`~assessment.records.listinstall.ServiceLists`)."""
        self.outbox = SyncOutbox(self._ctx, self.settings)
        """The sync outbox (:class:`~assessment.records.outbox.SyncOutbox`)."""
        self.assessments = Assessments(self._ctx, self.settings, self.lists)
        """Assessments (:class:`~assessment.records.assessments.Assessments`)."""
        self.elders = Elders(self._ctx, self.settings, self.assessments.grader)
        """The elder register (:class:`~assessment.records.elders.Elders`)."""
        self.visits = VisitBook(self._ctx, self.lists, self.elders)
        """Visits, referrals and the visit plan (探访关爱)
        (:class:`~assessment.records.visits.VisitBook`)."""
        self.registry = Registry(self._ctx)
        """The elder registry: lifecycle, roster imports, duplicates, export rows
        (:class:`~assessment.records.registry_store.Registry`)."""

    @property
    def data_dir(self) -> Path:
        """The data folder of this workspace."""
        return self._ctx.data_dir

    @property
    def current_user(self) -> Assessor:
        """The signed-in account."""
        return self._ctx.user

    @property
    def device_id(self) -> str:
        """This laptop's device id (its change chain's name)."""
        return self._ctx.device_id

    @property
    def device_code(self) -> str:
        """The short code shown for this laptop everywhere (certificate numbers too)."""
        return self._ctx.device_code

    @property
    def form(self) -> Form:
        """The assessment form in use."""
        return self._ctx.form

    # ------------------------------------------------------------------ opening and closing

    @classmethod
    def create(cls, data_dir: Path, *, username: str, password: str, display_name: str,
               role: str = "supervisor", device_code: str | None = None,
               settings: Mapping[str, Any] | None = None) -> Workspace:
        """Create a new encrypted workspace in ``data_dir`` with its first account."""
        data_dir = Path(data_dir)
        if workspace_exists(data_dir) or database_path(data_dir).exists():
            raise StoreError(f"目录 {data_dir} 中已有数据库，不能重复创建")
        name = check_username(username)
        check_role(role)
        shown = check_display_name(display_name)
        # The one short device code shown everywhere (status bar, enrolment, the certificate
        # number and footer) is the signing key's key code, the one the certificate's QR
        # code names, unless the caller gives one (tests, tools).
        signing = DeviceSigningKey.generate()
        code = device_code or signing.key_code
        if not _DEVICE_CODE.match(code):
            raise InputRejected([_BAD_DEVICE_CODE])
        for setting, value in (settings or {}).items():
            check_setting(setting, value)
        make_private_dir(data_dir)
        key = new_database_key()
        ring = Keyring.new()
        seed = ring.add(name, password, key)
        ring.save(keyring_path(data_dir))
        engine: Engine | None = None
        try:
            # Created empty and private first: SQLite gives its WAL files the same mode.
            os.close(os.open(database_path(data_dir), os.O_WRONLY | os.O_CREAT, 0o600))
            engine = open_engine(database_path(data_dir), key)
            upgrade_to_head(engine)
            device_id = new_id()
            now = changelog.utc_now()
            with Session(writer(engine)) as session, session.begin():
                session.add(DeviceState(
                    id=1, device_id=device_id, device_code=code, last_seq=0,
                    last_hash=GENESIS_HASH, acked_seq=0, hlc=0, audit_seq=0,
                    audit_hash=GENESIS_HASH, assessment_counter=0, certificate_counter=0,
                ))
                session.add(Account(username=name, display_name=shown, role=role, active=True,
                                    created_at=now, version=1))
            workspace = cls(engine, key, data_dir, Assessor(name, shown, role), device_id, code)
            workspace._ctx.signing_seed = seed
        except BaseException:
            if engine is not None:
                engine.dispose()
            for path in (database_path(data_dir), keyring_path(data_dir)):
                for suffix in ("", "-wal", "-shm"):
                    Path(str(path) + suffix).unlink(missing_ok=True)
            raise
        with workspace._store.writing() as (session, state):
            row = session.get_one(Account, name)
            root = rolegrants.public_of_seed(seed)
            workspace._store.log(session, state, "assessor", name, 1, account_payload(row),
                                 "create_workspace", {"device_code": code, "role_root": root})
            rolegrants.store(session, rolegrants.ROOT, root)
            grants = {name: rolegrants.make_grant(seed, name, device_id, name, role, root)}
            rolegrants.store(session, rolegrants.GRANTS,
                             grants if role == rolegrants.SUPERVISOR else {})
            for setting, value in {**DEFAULTS, **(settings or {})}.items():
                put_setting(workspace._store, session, state, setting, value)
            # The device key is part of creating the workspace (its audit entry above names
            # the code derived from it); a local setting, never in the change log.
            session.add(Setting(key=SIGNING_KEY_SETTING, value=signing.to_text(), version=1,
                                updated_at=changelog.utc_now()))
        return workspace

    @classmethod
    def open(cls, data_dir: Path, username: str, password: str) -> Workspace:
        """Sign in: unwrap the key with this account's password and open the store.

        Raises :class:`SignInFailed` (Chinese message) on a wrong username or password, or
        for a deactivated account; :class:`StoreError` when the files are missing or damaged.
        """
        data_dir = Path(data_dir)
        if not database_path(data_dir).is_file():
            raise StoreError(f"目录 {data_dir} 中没有数据库")
        path = keyring_path(data_dir)
        ring = Keyring.load(path)
        now = time.time()
        wait = ring.locked_for(username, now)
        if wait:
            raise SignInFailed(f"密码错误次数过多，该账户已暂时锁定，请 {wait} 秒后再试，"
                               "或请管理员解锁")
        try:
            key, seed = ring.unlock_all(username, password)
        except SignInFailed:
            ring.record_failure(username, now)
            ring.save(path)
            raise
        if ring.clear_failures(username):
            ring.save(path)
        workspace = cls.open_with_key(data_dir, key, username)
        workspace._ctx.signing_seed = seed
        workspace.accounts.check_granted_key()
        workspace.accounts.bootstrap_role_grants()
        workspace.loose_paths = loose_paths(data_dir, files=store_files(data_dir))
        if workspace.loose_paths:
            log.warning(loose_warning(workspace.loose_paths))
        return workspace

    @classmethod
    def open_with_key(cls, data_dir: Path, key: bytes, username: str) -> Workspace:
        """Open with a key already unwrapped by a sign-in (a worker process of that session,
        recovery tools, tests). The account must still exist and be active."""
        data_dir = Path(data_dir)
        if not database_path(data_dir).is_file():
            raise StoreError(f"目录 {data_dir} 中没有数据库")
        engine = open_engine(database_path(data_dir), key)
        try:
            upgrade_to_head(engine)
            with Session(engine) as session:
                account = session.get(Account, check_username(username))
                state = session.get(DeviceState, 1)
                if account is None or not account.active:
                    raise SignInFailed("该账户不存在或已停用，请联系管理员")
                if state is None:
                    raise StoreError("数据库未完成初始化（缺少设备信息）")
                user = assessor(account)
                device_id, code = state.device_id, state.device_code
                if user.role == rolegrants.SUPERVISOR:
                    valid = rolegrants.granted_supervisors(session, device_id)
                    if valid is not None and user.username not in valid:
                        user = replace(user, role="assessor")  # no valid grant
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, key, data_dir, user, device_id, code)

    def close(self) -> None:
        """Fold the WAL into the database and release every connection."""
        self._store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Hear what every committed write changed (:class:`~assessment.records.api.Changed`:
        record type → ids), whoever wrote it (this window, a sync, an import), on the writing
        thread; returns the function that stops it."""
        return self._store.subscribe(listener)

    # ------------------------------------------------------------------ device identity

    def device_keys(self) -> DeviceKeys:
        """This laptop's one device identity: the workspace's device id with its Ed25519 key
        (certificates, request and bundle signatures) and X25519 key, both kept only in the
        encrypted settings (``device.*``) and made on first use."""
        return DeviceKeys.from_settings(self.device_id, self.settings.get, self.settings.set)

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables (status bar, diagnostics)."""
        with self._store.reading() as session:
            return {
                "elders": int(session.scalar(select(func.count()).select_from(Elder)) or 0),
                "assessments": int(session.scalar(select(func.count())
                                                  .select_from(Assessment)) or 0),
                "changes": changelog.device_state(session).last_seq,
            }

    # ------------------------------------------------------------------ backups

    def backup_to(self, target: Path, *, external: bool = True,
                  progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> Path:
        """Write a backup file of this store while it stays open
        (:func:`assessment.records.backup.write_backup`). An ``external`` backup (a chosen
        folder or USB stick, not the automatic daily copy on this disk) is remembered as
        covering the work up to now, for the reminder; each backup is audited."""
        with self._store.reading() as session:
            covered = changelog.device_state(session).last_seq
        path = write_backup(self.data_dir, self._ctx.key, target, device_id=self.device_id,
                            device_code=self.device_code, progress=progress,
                            cancelled=cancelled)
        with self._store.writing() as (session, state):
            if external:
                put_setting(self._store, session, state, LAST_EXTERNAL_BACKUP,
                            {"at": changelog.utc_now().isoformat(), "seq": covered})
            self._store.audit(session, state, "backup", "setting", "backup",
                              {"external": external, "file": path.name, "seq": covered})
        return path
