"""The one facade over an open, encrypted store: :class:`Workspace` implements
:class:`~assessment.records.api.WorkspaceApi`.

Signing in *is* opening: :meth:`Workspace.open` unwraps the database key with the account's
password (:mod:`assessment.records.keyring`), opens the SQLCipher database and runs the
migrations. Every write is one ``BEGIN IMMEDIATE`` transaction that changes the record, appends
its new version to the change log (sync outbox) and appends an audit entry (itself also a
change): all three are committed together or not at all.

Lifecycle choices (docs/spec/gbt42195.md §11, decision D4):

* ``autosave`` replaces the draft's whole answer dict (the caller sends what the form shows);
  A.1.1 stays the generated number. Identical saves are not written again.
* ``finalize`` pins the results, issues the certificate number ``<device code>-000123``, and
  updates the elder's current grade, last assessment and due date in the same transaction.
* A correction (``correct`` or ``start_assessment(…, supersedes=…)``) is a new draft copying
  the answers. The old assessment stays *finalized and current* until the correction is
  finalized; only then does it become ``superseded``. A discarded correction leaves the old one
  untouched, so there is never a moment without a current assessment. One open correction per
  assessment: asking again returns the open draft.
* The current assessment is the finalized, not superseded one with the latest A.1.2 (then the
  latest finalization).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from assessment.accounts import check_display_name, check_role, check_username
from assessment.devicekeys import SETTING_KEY as SIGNING_KEY_SETTING
from assessment.devicekeys import DeviceSigningKey
from assessment.eligibility import load_workspace_lists, match_profile
from assessment.errors import FormFileError, InputRejected, Problem
from assessment.forms import Form, default_form
from assessment.ids import new_id
from assessment.privatefiles import loose_paths, loose_warning, make_private_dir
from assessment.records import bulkload, changelog, incoming, lifecycle, rolegrants, roster
from assessment.records.api import (
    EVERY,
    AssessmentRecord,
    AssessmentStatus,
    Assessor,
    ElderProfile,
    Listener,
    RecordNotFound,
    RosterFilter,
    RosterKey,
    RosterRow,
    SignInFailed,
    StoreError,
)
from assessment.records.backup import LAST_EXTERNAL_BACKUP, oldest_unsynced, write_backup
from assessment.records.convert import (
    account_payload,
    assessment_payload,
    assessment_record,
    assessor,
    elder_payload,
    elder_profile,
)
from assessment.records.database import open_engine, writer
from assessment.records.datadir import (
    database_path,
    keyring_path,
    store_files,
    workspace_exists,
)
from assessment.records.keyring import Keyring, new_database_key
from assessment.records.migrate import upgrade_to_head
from assessment.records.profiles import (
    COLUMN_ATTRIBUTES,
    check_profile,
    clean_attributes,
    elder_change_payload,
)
from assessment.records.profiles import stored_info as _stored_info
from assessment.records.registry_store import WorkspaceRegistry
from assessment.records.review import (
    FinalizeReview,
    acknowledged_warnings,
    check_reason,
    open_warnings,
    review_answers,
)
from assessment.records.schema import (
    Account,
    Assessment,
    DeviceState,
    Elder,
    ElderDetail,
    SearchTerm,
    Setting,
    Village,
)
from assessment.records.search import elder_terms, sort_key, village_keys
from assessment.records.settings import DEFAULTS, check_setting, grading_settings
from assessment.records.store import Store
from assessment.records.tables import RegistryTables, read_registry
from assessment.records.visits import VisitBook
from assessment.records.workspace_sync import WorkspaceSync
from assessment.registry.plan import ASSESSOR_SOURCE
from assessment.registry.status import check_writable
from assessment.scoring import Grader
from assessment.settings import GRADE_RAISE_MODE, ROUTINE_INTERVAL_MONTHS, Who, is_local
from assessment.settings import registered as registered_setting
from assessment.wire.changes import GENESIS_HASH
from assessment.wire.countygrant import account_fingerprint
from assessment.wire.hlc import HybridClock

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DEVICE_CODE = re.compile(r"^[0-9A-Z]{2,10}$")
_BAD_DEVICE_CODE = Problem("device_code", "shape", "设备代码应为 2–10 位大写字母或数字")


def new_device_code() -> str:
    """Six random Crockford base-32 characters (30 bits): a device code for callers that
    want one without a key (tests, tools). A new workspace takes its signing key's code
    instead (see :meth:`Workspace.create`).

    The county may assign its own code at enrolment (:meth:`Workspace.set_device_code`); the
    sequence continues, so numbers already issued stay unique.
    """
    value = int.from_bytes(os.urandom(4), "big") >> 2
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in range(5, -1, -1))


def _is_local(lists: Any, ref: str) -> bool:
    try:
        return bool(lists.get(ref).local)
    except KeyError:
        return False


log = logging.getLogger(__name__)


class Workspace(WorkspaceSync, WorkspaceRegistry):
    """An open store, signed in as one account (see the module docstring)."""

    def __init__(self, engine: Engine, key: bytes, data_dir: Path, user: Assessor,
                 device_id: str, device_code: str, form: Form | None = None) -> None:
        """Use :meth:`open` or :meth:`create`; this wraps an already migrated engine.

        ``key`` is the unwrapped database key, kept for the session so that a supervisor can
        wrap it for a new account.
        """
        self._store = Store(engine, user)
        self._key = key
        self.data_dir = data_dir
        self.current_user = user
        self.device_id = device_id
        self.device_code = device_code
        self.form = form if form is not None else default_form()
        self._graders: dict[str, Grader] = {}
        # The signed-in account's own signing seed (see keyring): known only after a sign-in
        # with the password, needed to sign what only a supervisor may sign.
        self._signing_seed: bytes | None = None
        #: Files of the data folder other users could read (found at sign-in; warn about them).
        self.loose_paths: list[Path] = []

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
        # number and footer, the QR check) is the signing key's code, so the certificate's
        # signed code names the same device its number does.
        signing = DeviceSigningKey.generate()
        code = device_code or signing.device_code
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
            workspace._signing_seed = seed
        except BaseException:
            if engine is not None:
                engine.dispose()
            for path in (database_path(data_dir), keyring_path(data_dir)):
                for suffix in ("", "-wal", "-shm"):
                    Path(str(path) + suffix).unlink(missing_ok=True)
            raise
        with workspace._writing() as (session, state):
            row = session.get_one(Account, name)
            root = rolegrants.public_of_seed(seed)
            workspace._log(session, state, "assessor", name, 1, account_payload(row),
                           "create_workspace", {"device_code": code, "role_root": root})
            rolegrants.store(session, rolegrants.ROOT, root)
            grants = {name: rolegrants.make_grant(seed, name, device_id, name, role, root)}
            rolegrants.store(session, rolegrants.GRANTS,
                             grants if role == rolegrants.SUPERVISOR else {})
            for setting, value in {**DEFAULTS, **(settings or {})}.items():
                workspace._put_setting(session, state, setting, value)
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
        workspace._signing_seed = seed
        workspace._check_granted_key()
        workspace._bootstrap_role_grants()
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

    def registry_tables(self, active_on: date | None = None, *,
                        with_transferred: bool = True) -> RegistryTables:
        """Every elder (on the roll on ``active_on`` when given) and their finalized and
        superseded assessments as frames, in one read (statistics, rosters, visit plans)."""
        return read_registry(self._store, active_on, with_transferred=with_transferred)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Hear what every committed write changed (:class:`~assessment.records.api.Changed`:
        record type → ids), whoever wrote it (this window, a sync, an import), on the writing
        thread; returns the function that stops it."""
        return self._store.subscribe(listener)

    @property
    def visits(self) -> VisitBook:
        """Visits, referrals and the visit plan (探访关爱) of this workspace."""
        return VisitBook(self)

    # ------------------------------------------------------------------ transactions

    @property
    def _clock(self) -> HybridClock:
        return self._store.clock

    def _reading(self) -> AbstractContextManager[Session]:
        return self._store.reading()

    def _writing(self) -> AbstractContextManager[tuple[Session, DeviceState]]:
        return self._store.writing()

    def _log(self, session: Session, state: DeviceState, record_type: str, record_id: str,
             version: int, payload: Mapping[str, Any], action: str,
             detail: Mapping[str, Any] | None = None) -> None:
        self._store.log(session, state, record_type, record_id, version, payload, action,
                        detail)

    # ------------------------------------------------------------------ roster and elders

    def roster_count(self, flt: RosterFilter) -> int:
        """How many elders the filter shows."""
        with self._reading() as session:
            return roster.roster_count(session, flt)

    def roster_page(self, flt: RosterFilter, offset: int, limit: int,
                    after: RosterKey | None = None) -> Sequence[RosterRow]:
        """One page of the filtered, sorted roster (for a lazily fetching table model):
        ``limit`` rows from ``offset`` rows past ``after`` (a row's ``key``; the start when
        ``None``)."""
        with self._reading() as session:
            return roster.roster_page(session, flt, offset, limit, after)

    def villages(self) -> Sequence[str]:
        """The villages in use, in pinyin order."""
        with self._reading() as session:
            return roster.village_names(session)

    def get_elder(self, elder_id: str) -> ElderProfile:
        """One elder's profile (derived attributes filled in)."""
        with self._reading() as session:
            return elder_profile(self._elder(session, elder_id))

    def find_elder_by_id_number(self, id_number: str) -> ElderProfile | None:
        """The elder with this resident ID number, if registered."""
        with self._reading() as session:
            row = session.scalars(
                select(Elder).where(Elder.id_number == id_number.strip().upper())
            ).first()
            return elder_profile(row) if row is not None else None

    @staticmethod
    def _find_elder(session: Session, elder_id: str) -> Elder | None:
        return session.scalars(select(Elder).where(Elder.id == elder_id)).first()

    def _elder(self, session: Session, elder_id: str) -> Elder:
        row = self._find_elder(session, elder_id)
        if row is None:
            raise RecordNotFound("老人", elder_id)
        return row

    def _validated(self, session: Session, profile: ElderProfile,
                   own_id: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
        """Check a profile; return the column values and the detail values."""
        resident, problems = check_profile(profile, self.form)
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

    def _index_elder(self, session: Session, row: Elder) -> None:
        """(Re)write the search terms of an elder and register its village."""
        session.execute(delete(SearchTerm).where(SearchTerm.elder_num == row.num))
        terms = elder_terms(row.name, row.id_number)
        if terms:
            session.execute(insert(SearchTerm), [{"term": t, "elder_num": row.num} for t in terms])
        if row.village and session.get(Village, row.village) is None:
            keys = village_keys(row.village)
            session.add(Village(name=row.village, township=row.township, pinyin=keys.pinyin,
                                initials=keys.initials))

    def create_elder(self, profile: ElderProfile) -> ElderProfile:
        """Register a new elder; refused whole when any field is wrong or the ID is taken."""
        with self._writing() as (session, state):
            columns, detail = self._validated(session, profile, None)
            elder_id = profile.elder_id if _UUID.match(profile.elder_id or "") else new_id()
            if self._find_elder(session, elder_id) is not None:
                elder_id = new_id()
            now = changelog.utc_now()
            row = Elder(id=elder_id, version=1, created_at=now, updated_at=now, draft_count=0,
                        detail=ElderDetail(**detail), **columns)
            session.add(row)
            session.flush()
            self._index_elder(session, row)
            self._log(session, state, "elder", row.id, 1,
                      elder_change_payload(elder_payload(row), None), "create_elder")
            return elder_profile(row)

    def save_elder(self, profile: ElderProfile) -> ElderProfile:
        """Save an edited profile; refused when another save came first (stale version)."""
        with self._writing() as (session, state):
            row = self._elder(session, profile.elder_id)
            if profile.version != row.version:
                raise InputRejected([Problem("version", "stale",
                                             "该老人信息已在别处被修改，请重新打开后再保存")])
            check_writable(row.status)
            columns, detail = self._validated(session, profile, row.id)
            before = elder_payload(row)
            for name, value in columns.items():
                setattr(row, name, value)
            row.detail.provenance = _entered_provenance(
                row.detail.attributes or {}, detail["attributes"], row.detail.provenance or {},
                self.current_user.username)
            row.detail.info, row.detail.attributes = detail["info"], detail["attributes"]
            row.version += 1
            row.updated_at = changelog.utc_now()
            session.flush()
            after = elder_payload(row)
            changed = sorted(k for k in after if k != "version" and after[k] != before[k])
            if before["info"] != after["info"]:
                changed += [f"info.{k}" for k in sorted(set(before["info"]) | set(after["info"]))
                            if before["info"].get(k) != after["info"].get(k)]
            self._index_elder(session, row)
            self._log(session, state, "elder", row.id, row.version,
                      elder_change_payload(after, before), "save_elder",
                      {"changed": changed})
            return elder_profile(row)

    # ------------------------------------------------------------------ assessments

    def _grader(self) -> Grader:
        settings = grading_settings({GRADE_RAISE_MODE.key: self.get_setting(GRADE_RAISE_MODE.key)})
        grader = self._graders.get(settings.grade_raise_mode.value)
        if grader is None:
            grader = Grader(self.form, settings)
            self._graders[settings.grade_raise_mode.value] = grader
        return grader

    @staticmethod
    def _assessment(session: Session, assessment_id: str) -> Assessment:
        row = session.get(Assessment, assessment_id)
        if row is None:
            raise RecordNotFound("评估", assessment_id)
        return row

    @staticmethod
    def _require_draft(row: Assessment) -> None:
        if row.status != AssessmentStatus.DRAFT:
            raise InputRejected([Problem("status", "immutable",
                                         "该评估已定稿，不能再修改；如需更正请新建更正评估")])

    def assessments_for(self, elder_id: str) -> Sequence[AssessmentRecord]:
        """Every assessment of an elder, newest reference date first."""
        with self._reading() as session:
            self._elder(session, elder_id)
            rows = session.scalars(
                select(Assessment).where(Assessment.elder_id == elder_id)
                .order_by(Assessment.reference_date.desc().nulls_first(),
                          Assessment.created_at.desc())
            )
            return [assessment_record(row) for row in rows]

    def get_assessment(self, assessment_id: str) -> AssessmentRecord:
        """One assessment."""
        with self._reading() as session:
            return assessment_record(self._assessment(session, assessment_id))

    def current_assessment(self, elder_id: str) -> AssessmentRecord | None:
        """The elder's current assessment (latest finalized, not superseded), if any."""
        with self._reading() as session:
            elder = self._elder(session, elder_id)
            if elder.current_assessment_id is None:
                return None
            return assessment_record(self._assessment(session, elder.current_assessment_id))

    def start_assessment(self, elder_id: str, reason: str,
                         supersedes: str | None = None,
                         correction_reason: str | None = None) -> AssessmentRecord:
        """Open a new draft for an elder: A.1.1 generated, A.1.2 today, A.1.3 ``reason``.

        The person's standing A fields are copied from the elder. With ``supersedes`` the
        draft is a correction of that finalized assessment and copies its answers (an open
        correction of it is returned instead of opening a second one). Refused for an elder
        the county transferred to another township (:attr:`ElderProfile.transferred_to`).
        A correction needs ``correction_reason`` (why it is corrected), kept in the audit log.
        """
        lifecycle.check_reason(reason)
        why: str | None = None
        if supersedes is not None:
            why = check_reason("correction_reason", correction_reason, "更正原因")
        with self._writing() as (session, state):
            elder = self._elder(session, elder_id)
            answers: dict[str, Any]
            if supersedes is not None:
                old = self._assessment(session, supersedes)
                open_draft = self._open_correction(session, supersedes)
                if open_draft is not None:
                    return assessment_record(open_draft)
            lifecycle.check_not_transferred(elder.transferred_to)
            check_writable(elder.status)
            if supersedes is not None:
                if old.elder_id != elder_id:
                    raise InputRejected([Problem("supersedes", "elder",
                                                 "被更正的评估不属于这位老人")])
                if old.status != AssessmentStatus.FINALIZED:
                    raise InputRejected([Problem("supersedes", "status",
                                                 "只能更正已定稿且未被取代的评估")])
                answers = lifecycle.without_signatures(old.answers)
                answers["sign.assessor_date"] = answers["sign.provider_date"] = \
                    date.today().isoformat()
            else:
                answers = lifecycle.prefill_from_elder(elder.detail.info)
                answers["A.1.2"] = date.today().isoformat()
                answers.update(lifecycle.signoff_defaults(
                    date.today(), self.current_user.username,
                    self._last_answers(session, Assessment.elder_id == elder_id),
                    self._last_answers(session,
                                       Assessment.created_by == self.current_user.username)))
            state.assessment_counter += 1
            number = f"{state.device_code}-A{state.assessment_counter:06d}"
            answers["A.1.1"] = number
            answers["A.1.3"] = reason
            now = changelog.utc_now()
            row = Assessment(
                id=new_id(), elder_id=elder_id, status=AssessmentStatus.DRAFT.value,
                assessment_no=number, answers={}, form_version=self.form.version_tag,
                rules_hash=self.form.rules_hash, supersedes=supersedes, reasons=[],
                created_by=self.current_user.username, created_at=now, updated_at=now,
                version=1,
            )
            self._apply_answers(row, answers)
            session.add(row)
            elder.draft_count += 1
            session.flush()
            self._log(session, state, "assessment", row.id, 1, assessment_payload(row),
                      "start_assessment",
                      {"elder_id": elder_id, "assessment_no": number, "supersedes": supersedes,
                       **({"correction_reason": why} if why else {})})
            return assessment_record(row)

    @staticmethod
    def _last_answers(session: Session, condition: Any) -> dict[str, Any] | None:
        """The answers of the newest assessment matching ``condition`` (a past visit)."""
        row = session.scalars(select(Assessment).where(condition)
                              .order_by(Assessment.created_at.desc()).limit(1)).first()
        return dict(row.answers) if row is not None else None

    @staticmethod
    def _open_correction(session: Session, supersedes: str) -> Assessment | None:
        return session.scalars(
            select(Assessment).where(Assessment.supersedes == supersedes,
                                     Assessment.status == AssessmentStatus.DRAFT.value)
        ).first()

    def _apply_answers(self, row: Assessment, answers: Mapping[str, Any]) -> None:
        """Store answers and what is derived from them (columns, preview results)."""
        clean = {k: (list(v) if isinstance(v, tuple) else v) for k, v in answers.items()
                 if v is not None}
        row.answers = clean
        row.reference_date = lifecycle.parse_date(clean.get("A.1.2"))
        row.reason = _text(clean.get("A.1.3"))
        row.assessor_1 = _text(clean.get("sign.assessor_1"))
        row.assessor_2 = _text(clean.get("sign.assessor_2"))
        result = lifecycle.preview(self.form, self._grader(), clean)
        if result is None:
            row.subtotals, row.total, row.initial_grade = None, None, None
            row.reasons, row.final_grade = [], None
        else:
            row.subtotals = dict(zip(result.dimension_keys, result.subtotals, strict=True))
            row.total, row.initial_grade = result.total, result.initial_grade
            row.reasons, row.final_grade = list(result.reasons), result.final_grade

    def autosave(self, assessment_id: str, answers: Mapping[str, Any]) -> AssessmentRecord:
        """Replace a draft's answers (one durable transaction); finalized ones are refused."""
        problems = lifecycle.answer_problems(self.form, answers)
        if problems:
            raise InputRejected(problems)
        with self._writing() as (session, state):
            row = self._assessment(session, assessment_id)
            self._require_draft(row)
            check_writable(self._elder(session, row.elder_id).status)
            merged = {k: v for k, v in answers.items() if v is not None}
            merged["A.1.1"] = row.assessment_no
            before = dict(row.answers)
            if merged == before:
                return assessment_record(row)
            self._apply_answers(row, merged)
            row.version += 1
            row.updated_at = changelog.utc_now()
            changed = sorted(k for k in set(before) | set(row.answers)
                             if before.get(k) != row.answers.get(k))
            self._log(session, state, "assessment", row.id, row.version,
                      assessment_payload(row), "autosave", {"changed": changed})
            return assessment_record(row)

    def review_finalize(self, assessment_id: str) -> FinalizeReview:
        """The review shown before finalizing a draft: result, open warnings, what is missing
        (:mod:`assessment.records.review`)."""
        with self._reading() as session:
            row = self._assessment(session, assessment_id)
            self._require_draft(row)
            return review_answers(self.form, self._grader(), row.answers)

    def finalize(self, assessment_id: str,
                 acknowledged: Mapping[str, str] | None = None) -> AssessmentRecord:
        """Finalize a complete draft: pin results, issue the certificate number.

        Every open consistency warning must be acknowledged with a reason in
        ``acknowledged`` (``{warning key: reason}``, see
        :func:`~assessment.records.review.warning_key`); the reasons are kept in the audit
        entry of the finalization.

        The pinned results include the elder's service-list match as of A.1.2 with the new
        grade: the list versions used and every item's result
        (:attr:`AssessmentRecord.eligibility`), so the certificate cites what was in force.

        Refused (:class:`InputRejected`, every missing field named) unless all 26 B items,
        A.1.1–A.1.3, A.3.1, A.3.2 and two distinct assessors are recorded.
        """
        with self._writing() as (session, state):
            row = self._assessment(session, assessment_id)
            self._require_draft(row)
            check_writable(self._elder(session, row.elder_id).status)
            grader = self._grader()
            problems = lifecycle.finalize_problems(self.form, grader, row.answers)
            acknowledgements: dict[str, str] = {}
            try:
                acknowledgements = acknowledged_warnings(
                    open_warnings(self.form, row.answers), acknowledged)
            except InputRejected as exc:
                problems.extend(exc.problems)
            old: Assessment | None = None
            if row.supersedes is not None:
                old = self._assessment(session, row.supersedes)
                if old.status != AssessmentStatus.FINALIZED:
                    problems.append(Problem("supersedes", "status",
                                            "被更正的评估已被另一次更正取代"))
            if problems:
                raise InputRejected(problems)
            self._apply_answers(row, row.answers)
            if row.final_grade is None:  # pragma: no cover - finalize_problems guarantees it
                raise InputRejected([Problem("B", "incomplete", "评估未完成，无法评定等级")])
            row.eligibility = self._pinned_match(session, row)
            state.certificate_counter += 1
            now = changelog.utc_now()
            row.certificate_no = f"{state.device_code}-{state.certificate_counter:06d}"
            row.status = AssessmentStatus.FINALIZED.value
            row.finalized_at = now
            row.updated_at = now
            row.version += 1
            session.flush()
            self._log(session, state, "assessment", row.id, row.version, assessment_payload(row),
                      "finalize", {"certificate_no": row.certificate_no,
                                   "final_grade": row.final_grade,
                                   **({"acknowledged": acknowledgements}
                                      if acknowledgements else {})})
            if old is not None:
                old.status = AssessmentStatus.SUPERSEDED.value
                old.superseded_by = row.id
                old.updated_at = now
                old.version += 1
                session.flush()
                self._log(session, state, "assessment", old.id, old.version,
                          assessment_payload(old), "supersede", {"superseded_by": row.id})
            elder = self._elder(session, row.elder_id)
            elder.draft_count = max(0, elder.draft_count - 1)
            self._refresh_current(session, elder)
            return assessment_record(row)

    def _pinned_match(self, session: Session, row: Assessment) -> dict[str, Any] | None:
        """The elder's service-list match as of A.1.2 with this assessment's grade, to pin on
        the record: the list versions used and every item's result (spec service-lists §2).

        ``None`` when the workspace's lists cannot be loaded or the stored attributes are
        refused by the engine: finalizing never fails because of a list file.
        """
        elder = self._elder(session, row.elder_id)
        as_of = row.reference_date or date.today()
        profile = {k: v for k, v in (elder.detail.attributes or {}).items() if v is not None}
        if elder.birth_date is not None:
            profile["birth_date"] = elder.birth_date.isoformat()
        if elder.sex is not None:
            profile["sex"] = elder.sex
        profile["capability_grade"] = row.final_grade
        profile["capability_assessed_on"] = as_of.isoformat()
        try:
            lists = load_workspace_lists(self.data_dir, self.list_trust())
            result = match_profile(profile, as_of, lists)
        except (InputRejected, FormFileError):
            return None
        pinned = result.to_json()
        try:
            pinned["title"] = lists.get(result.list).title
        except KeyError:
            pinned["title"] = result.list
        pinned["capability_grade"] = row.final_grade
        # Lists a supervisor installed here, not issued by the county: the certificate says so.
        pinned["local_lists"] = sorted({ref for ref in [result.list, *(i.list for i in
                                                                      result.items)]
                                        if ref and _is_local(lists, ref)})
        return pinned

    def _refresh_current(self, session: Session, elder: Elder) -> None:
        """Recompute the elder's denormalised current grade, last assessment and due date."""
        incoming.refresh_current(session, elder,
                                 int(self.get_setting(ROUTINE_INTERVAL_MONTHS.key)))
        self._store.touched("elder", elder.id)

    def correct(self, assessment_id: str, reason: str) -> AssessmentRecord:
        """Open a correction of a finalized assessment (see the module docstring); ``reason``
        says why it is corrected and is kept in the audit log."""
        with self._reading() as session:
            old = self._assessment(session, assessment_id)
            elder_id, a13 = old.elder_id, old.reason or "其他"
        return self.start_assessment(elder_id, a13, supersedes=assessment_id,
                                     correction_reason=reason)

    def open_drafts(self) -> Sequence[AssessmentRecord]:
        """Every draft on this laptop, most recently saved first (resume after a crash)."""
        with self._reading() as session:
            rows = session.scalars(
                select(Assessment).where(Assessment.status == AssessmentStatus.DRAFT.value)
                .order_by(Assessment.updated_at.desc())
            )
            return [assessment_record(row) for row in rows]

    def draft_count(self) -> int:
        """How many drafts are open on this laptop (the sign-in notice: no drafts read)."""
        with self._reading() as session:
            return int(session.scalar(
                select(func.count()).select_from(Assessment)
                .where(Assessment.status == AssessmentStatus.DRAFT.value)) or 0)

    def discard_draft(self, assessment_id: str) -> None:
        """Delete a draft (finalized assessments are never deleted)."""
        with self._writing() as (session, state):
            row = self._assessment(session, assessment_id)
            self._require_draft(row)
            elder = self._elder(session, row.elder_id)
            elder.draft_count = max(0, elder.draft_count - 1)
            payload = {"id": row.id, "elder_id": row.elder_id, "status": "discarded",
                       "assessment_no": row.assessment_no, "version": row.version + 1}
            session.delete(row)
            self._log(session, state, "assessment", assessment_id, row.version + 1, payload,
                      "discard_draft", {"assessment_no": row.assessment_no})

    def bulk_load(self, profiles: Sequence[ElderProfile],
                  assessments: Sequence[bulkload.LoadAssessment] = (), *,
                  action: str = "bulk_load",
                  progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
        """Load many elders and assessments in one transaction (demo data, roster imports);
        validated like single writes and refused whole. Returns the counts loaded."""
        interval = int(self.get_setting(ROUTINE_INTERVAL_MONTHS.key))
        grader = self._grader()
        with self._writing() as (session, state):
            ctx = bulkload.LoadContext(self.form, grader, self._clock,
                                       self.current_user.username, interval)
            counts = bulkload.bulk_load(session, state, ctx, profiles, assessments,
                                        action=action, progress=progress)
            self._store.touched("elder", EVERY)
            if assessments:
                self._store.touched("assessment", EVERY)
            return counts

    def log_access(self, record_type: str, record_id: str,
                   action: str = "view_certificate",
                   detail: Mapping[str, Any] | None = None) -> None:
        """Record what the audit trail must show: a certificate viewed or printed, or a
        decision with its reason in ``detail`` (an elder under 60 registered anyway)."""
        with self._writing() as (session, state):
            self._store.audit(session, state, action, record_type, record_id, detail)

    # ------------------------------------------------------------------ accounts

    def assessors(self) -> Sequence[Assessor]:
        """Every account of this laptop, active first, by display name."""
        with self._reading() as session:
            rows = session.scalars(select(Account).order_by(Account.active.desc(),
                                                            Account.display_name))
            return [assessor(row) for row in rows]

    def _require_supervisor(self) -> None:
        if self.current_user.role != "supervisor":
            raise InputRejected([Problem("role", "forbidden", "只有管理员可以管理账户")])

    def add_account(self, username: str, password: str, display_name: str,
                    role: str = "assessor") -> Assessor:
        """Add an account (supervisors only): the same database key, wrapped for it."""
        self._require_supervisor()
        name = check_username(username)
        check_role(role)
        shown = check_display_name(display_name)
        ring = Keyring.load(keyring_path(self.data_dir))
        with self._writing() as (session, state):
            if session.get(Account, name) is not None:
                raise InputRejected([Problem("username", "duplicate", "该用户名已存在")])
            row = Account(username=name, display_name=shown, role=role, active=True,
                          created_at=changelog.utc_now(), version=1)
            session.add(row)
            session.flush()
            self._log(session, state, "assessor", name, 1, account_payload(row), "add_account")
            # The wrap is written last, inside the transaction: if it fails, nothing commits.
            seed = ring.add(name, password, self._key)
            if role == rolegrants.SUPERVISOR:
                self._grant_supervisor(session, state, name, seed)
            ring.save(keyring_path(self.data_dir))
            return assessor(row)

    @property
    def account_key(self) -> str | None:
        """The fingerprint of the signed-in account's own key (what a county grant of the
        supervisor role names); None when the account has no key (signed in without a
        password, or an account made before accounts had keys)."""
        if self._signing_seed is None:
            return None
        return account_fingerprint(rolegrants.public_of_seed(self._signing_seed))

    def _check_granted_key(self) -> None:
        """Work as an assessor when the supervisor grant names another account key (the
        account was made again under a granted username)."""
        if self.current_user.role != rolegrants.SUPERVISOR:
            return
        with self._reading() as session:
            if rolegrants.granted_supervisors(session, self.device_id) is None:
                return  # an old workspace before its grants: bootstrapped next
            held = rolegrants.holds_granted_key(session, self.device_id,
                                                self.current_user.username,
                                                self._signing_seed)
        if not held:
            log.warning("账户 %s 的管理员授权不属于本账户的密钥，按评估员处理",
                        self.current_user.username)
            self.current_user = replace(self.current_user, role="assessor")

    def _bootstrap_role_grants(self) -> None:
        """A workspace made before grants existed: its first supervisor to sign in with a
        password becomes the root and grants the supervisors the accounts table names."""
        if self._signing_seed is None or self.current_user.role != rolegrants.SUPERVISOR or \
                self.get_setting(rolegrants.ROOT) is not None:
            return
        seed = self._signing_seed
        root = rolegrants.public_of_seed(seed)
        with self._writing() as (session, state):
            self._store.audit(session, state, "role_grants_bootstrap", "assessor",
                              self.current_user.username, {"role_root": root})
            rolegrants.store(session, rolegrants.ROOT, root)
            names = session.scalars(select(Account.username).where(
                Account.role == rolegrants.SUPERVISOR, Account.active.is_(True))).all()
            grants = {name: rolegrants.make_grant(
                seed, self.current_user.username, self.device_id, name, rolegrants.SUPERVISOR,
                root if name == self.current_user.username else "") for name in names}
            rolegrants.store(session, rolegrants.GRANTS, grants)

    def _grant_supervisor(self, session: Session, state: DeviceState, username: str,
                          seed: bytes) -> None:
        """Sign a supervisor grant for ``username`` (whose signing seed is ``seed``) with the
        signed-in supervisor's own key."""
        if self._signing_seed is None:
            raise InputRejected([Problem("role", "signing_key",
                                         "授予管理员身份须由管理员用密码登录后操作")])
        row = session.get(Setting, rolegrants.GRANTS)
        grants = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
        grants[username] = rolegrants.make_grant(
            self._signing_seed, self.current_user.username, self.device_id, username,
            rolegrants.SUPERVISOR, rolegrants.public_of_seed(seed))
        rolegrants.store(session, rolegrants.GRANTS, grants)

    def unlock_account(self, username: str) -> None:
        """Lift the lock that wrong passwords put on an account (supervisors only)."""
        self._require_supervisor()
        name = check_username(username)
        ring = Keyring.load(keyring_path(self.data_dir))
        with self._writing() as (session, state):
            self._store.audit(session, state, "unlock_account", "assessor", name)
            self._store.touched("assessor", name)
            if ring.clear_failures(name):
                ring.save(keyring_path(self.data_dir))

    def change_password(self, old_password: str, new_password: str) -> None:
        """Re-wrap the key under a new password for the signed-in account."""
        ring = Keyring.load(keyring_path(self.data_dir))
        key, seed = ring.unlock_all(self.current_user.username, old_password)
        self._signing_seed = ring.add(self.current_user.username, new_password, key,
                                      signing_seed=seed)
        with self._writing() as (session, state):
            self._store.audit(session, state, "change_password", "assessor",
                              self.current_user.username)
            ring.save(keyring_path(self.data_dir))

    def set_account_active(self, username: str, active: bool, password: str | None = None) -> None:
        """Deactivate an account (its key wrap is deleted) or reactivate it with a password."""
        self._require_supervisor()
        name = check_username(username)
        if name == self.current_user.username and not active:
            raise InputRejected([Problem("username", "self", "不能停用当前登录的账户")])
        ring = Keyring.load(keyring_path(self.data_dir))
        if active:
            if password is None:
                raise InputRejected([Problem("password", "missing", "重新启用账户须设置新密码")])
            seed: bytes | None = ring.add(name, password, self._key)
        else:
            seed = None
            ring.remove(name)
        with self._writing() as (session, state):
            row = session.get(Account, name)
            if row is None:
                raise RecordNotFound("账户", name)
            if seed is not None and row.role == rolegrants.SUPERVISOR:
                self._grant_supervisor(session, state, name, seed)  # a new key: a new grant
            row.active = active
            row.version += 1
            self._log(session, state, "assessor", name, row.version, account_payload(row),
                      "activate_account" if active else "deactivate_account")
            ring.save(keyring_path(self.data_dir))

    # ------------------------------------------------------------------ settings

    def get_setting(self, key: str, default: Any = None) -> Any:
        """A setting's value (its documented default when never set)."""
        with self._reading() as session:
            row = session.get(Setting, key)
            if row is not None:
                return row.value
        return DEFAULTS.get(key, default) if default is None else default

    def _put_setting(self, session: Session, state: DeviceState, key: str, value: Any) -> None:
        row = session.get(Setting, key)
        if row is None:
            row = Setting(key=key, value=value, version=1, updated_at=changelog.utc_now())
            session.add(row)
        else:
            row.value = value
            row.version += 1
            row.updated_at = changelog.utc_now()
        session.flush()
        if is_local(key):  # device secrets and local preferences: audited, never synced
            self._store.audit(session, state, "set_setting", "setting", key,
                              {"key": key, "local": True})
            self._store.touched("setting", key)
            return
        self._log(session, state, "setting", key, row.version, {"key": key, "value": value},
                  "set_setting", {"key": key})

    def set_setting(self, key: str, value: Any) -> None:
        """Change a setting; a new ``routine_interval_months`` recomputes every due date.

        ``device.*`` and ``local.*`` settings stay on this laptop (not in the change log).
        Settings that change a grade or an eligibility result (registered as supervisor-only,
        such as 等级提升方式) are refused to other accounts here, whatever the screen offers."""
        setting = registered_setting(key)
        if setting is not None and setting.who is Who.SUPERVISOR and \
                self.current_user.role != rolegrants.SUPERVISOR:
            raise InputRejected([Problem(key, "forbidden",
                                         f"只有管理员可以修改“{setting.label}”")])
        check_setting(key, value)
        with self._writing() as (session, state):
            self._put_setting(session, state, key, value)
            if key == ROUTINE_INTERVAL_MONTHS.key:
                dates = session.scalars(
                    select(Elder.last_assessed).where(Elder.last_assessed.is_not(None))
                    .distinct()
                ).all()
                for day in dates:
                    if day is None:
                        continue
                    session.execute(update(Elder).where(Elder.last_assessed == day)
                                    .values(due_on=lifecycle.due_date(day, int(value))))

    def set_device_code(self, code: str) -> None:
        """Adopt the code the county assigned at enrolment (numbers issued so far stay)."""
        if not _DEVICE_CODE.match(code):
            raise InputRejected([_BAD_DEVICE_CODE])
        with self._writing() as (session, state):
            state.device_code = code
            self._store.audit(session, state, "set_device_code", "setting", "device_code",
                              {"device_code": code})
            self._store.touched("setting", "device_code")
        self.device_code = code

    # ------------------------------------------------------------------ backups

    def backup_to(self, target: Path, *, external: bool = True,
                  progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> Path:
        """Write a backup file of this store while it stays open
        (:func:`assessment.records.backup.write_backup`). An ``external`` backup (a chosen
        folder or USB stick, not the automatic daily copy on this disk) is remembered as
        covering the work up to now, for the reminder; each backup is audited."""
        with self._reading() as session:
            covered = changelog.device_state(session).last_seq
        path = write_backup(self.data_dir, self._key, target, device_id=self.device_id,
                            device_code=self.device_code, progress=progress,
                            cancelled=cancelled)
        with self._writing() as (session, state):
            if external:
                self._put_setting(session, state, LAST_EXTERNAL_BACKUP,
                                  {"at": changelog.utc_now().isoformat(), "seq": covered})
            self._store.audit(session, state, "backup", "setting", "backup",
                              {"external": external, "file": path.name, "seq": covered})
        return path

    def oldest_unsynced(self) -> tuple[int, datetime] | None:
        """Sequence and time of the oldest own change of a record (not an audit entry) the
        county has not acknowledged (the backup reminder)."""
        return oldest_unsynced(self._store.engine)

    def last_seq_before(self, cutoff: datetime) -> int:
        """The last own change of a record (not an audit entry) written before ``cutoff``."""
        with self._store.connect() as conn:
            value = conn.execute(text("SELECT MAX(seq) FROM change_log WHERE created_at < :cut "
                                      "AND record_type != 'audit'"),
                                 {"cut": cutoff.replace(tzinfo=None)}).scalar()
        return int(value or 0)


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


def _text(value: Any) -> str | None:
    """A stored answer as stripped text (``None`` when absent, blank or not text)."""
    return _blank_none(value) if isinstance(value, str) else None


def _blank_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None

