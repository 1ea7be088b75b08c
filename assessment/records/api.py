"""The values of the local store's contract: what its managers take and give back.

An open (encrypted) database is a :class:`~assessment.records.workspace.Workspace`
(docs/architecture.md §3.3), used through its managers (``workspace.elders``,
``.assessments``, ``.accounts``, ``.settings``, ``.outbox``, ``.audit``, ``.lists``,
``.visits``, ``.registry``), each a typed class in its own module. Every write is one
transaction that also appends to the change log (sync outbox) and the hash-chained audit log,
and tells the subscribers once what changed (:class:`Changed`). Reads return the frozen
dataclasses of this module, never ORM objects, so nothing above the store holds a session.

Lifecycle (docs/spec/gbt42195.md §11): ``assessments.autosave`` replaces a draft's whole
answer dict (A.1.1 stays the generated number); ``assessments.finalize`` refuses with
:class:`~assessment.errors.InputRejected` naming each missing field and each open consistency
warning not acknowledged with a reason (``assessments.review`` shows what the review step
needs); finalized records are immutable (writes refused with code ``"immutable"``);
``assessments.correct`` (with its reason) opens a draft that supersedes a finalized
assessment, and the old one becomes ``superseded`` only when that draft is finalized.
``sign.assessor_1/2`` hold usernames of this laptop's accounts (or a visiting assessor's name)
and must differ. Settings ``device.*`` / ``local.*`` never leave the laptop.

Answers of an assessment are one dict keyed by the standard's field keys (``"A.1.3"``,
``"B.1.1"``, ``"B.3.9.state"``, ``"A.4.1"`` …) plus the sign-off keys of
docs/spec/gbt42195.md §2 (``"sign.place"``, ``"sign.assessor_1"``, ``"sign.assessor_2"``,
``"sign.assessor_date"``, ``"sign.provider_date"``). B items hold ints, single choices the
option text, multi choices a list of option texts, dates ``YYYY-MM-DD`` strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


class StoreError(Exception):
    """An environment problem with the store (damaged file, disk full, missing keyring).

    ``str(error)`` is a Chinese message meant for the user.
    """


class SignInFailed(StoreError):
    """Wrong username or password (one message for both, on purpose)."""

    def __init__(self, message: str = "用户名或密码错误，请重新输入") -> None:
        super().__init__(message)


class RecordNotFound(LookupError):
    """No elder / assessment / account with that id in this store."""

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"找不到{kind}记录：{record_id}")


class AssessmentStatus(StrEnum):
    """Lifecycle of an assessment (docs/spec/gbt42195.md §11.2)."""

    DRAFT = "draft"
    FINALIZED = "finalized"
    SUPERSEDED = "superseded"


class RegisterSort(StrEnum):
    """Sort orders of the roster."""

    NAME = "name"
    VILLAGE = "village"
    GRADE = "grade"
    DUE = "due"
    AGE = "age"


@dataclass(frozen=True, slots=True)
class RegisterFilter:
    """What the roster shows: a search text plus filters (all optional)."""

    text: str = ""  # name, pinyin initials (zs), full pinyin (zhangsan), ID tail, village
    village: str | None = None
    grade: int | None = None  # current final grade; -1 = never assessed
    due_only: bool = False  # re-assessment due on ``as_of``
    as_of: date | None = None  # default today
    sort: RegisterSort = RegisterSort.NAME
    descending: bool = False


RegisterKey = tuple[str | int | None, ...]
"""A row's place in one roster order: its sort columns' stored values, then its row number.
Opaque to callers: pass a page's last ``RegisterRow.key`` as ``after`` to read the next page."""


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One line of the roster (cheap to fetch by the page)."""

    elder_id: str
    name: str
    sex: str | None
    age: int | None
    id_masked: str | None
    village: str | None
    grade: int | None  # current final grade, None when never assessed
    last_assessed: date | None
    due_on: date | None
    has_draft: bool
    transferred_to: str | None = None  # the township the county moved the elder to
    status: str = "active"  # or "deregistered" / "merged" (assessment.registry.status)
    left_on: date | None = None  # the day a deregistered or merged elder left the roll
    key: RegisterKey = ()  # the row's place in the order it was read in (keyset paging)


@dataclass(frozen=True, slots=True)
class ElderProfile:
    """An elder: the person's Appendix A fields and the service-list attributes.

    ``info`` holds the Appendix A person fields (A.2.*, A.3.*, A.4.*, A.5.*) by key;
    ``attributes`` the service-list attributes of docs/spec/service-lists.md §3 by name
    (unknown = absent or None).
    """

    elder_id: str
    name: str
    id_number: str | None
    sex: str | None
    birth_date: date | None
    township: str | None
    village: str | None
    address: str | None
    phone: str | None
    info: Mapping[str, Any] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    version: int = 1
    updated_at: datetime | None = None
    household_id: str | None = None  # elders of one household share it (address, phone)
    # Read only: the township (name) the county moved the elder to; None while it is here.
    # A transferred elder gets no new assessment on this laptop.
    transferred_to: str | None = None
    # Read only (assessment.registry.status): "active", "deregistered" or "merged", the day
    # the elder left the roll, the record a merged one was merged into, and where each
    # service-list attribute came from ({attribute: {"source", "as_of", "import_id", …}}).
    status: str = "active"
    left_on: date | None = None
    merged_into: str | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AssessmentRecord:
    """One assessment with its raw answers and, once complete, its pinned results."""

    assessment_id: str
    elder_id: str
    status: AssessmentStatus
    answers: Mapping[str, Any]
    form_version: str  # "gbt42195-2022@1"
    rules_hash: str
    reference_date: date | None  # A.1.2
    reason: str | None  # A.1.3
    supersedes: str | None
    superseded_by: str | None
    subtotals: Mapping[str, int] | None  # {"B.1": 27, …} when all 26 items answered
    total: int | None
    initial_grade: int | None
    reasons: tuple[str, ...]  # C.4 codes
    final_grade: int | None
    certificate_no: str | None
    created_at: datetime
    updated_at: datetime
    finalized_at: datetime | None
    assessor_1: str | None
    assessor_2: str | None
    assessment_no: str | None = None  # A.1.1 as generated, e.g. "K7Q2MX-A000042"
    version: int = 1  # record version, as in the change log
    # The service-list match pinned at finalize (as of A.1.2, with this assessment's grade):
    # {"as_of", "capability_grade", "list", "lists": ["shanxi-provisional@2026.12", …],
    #  "title", "items": [{"id", "name", "result", "reasons", "missing", "list", …}, …]};
    # None for drafts, for assessments finalized before 0003, or when matching failed.
    eligibility: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Assessor:
    """A user account of this laptop (an assessor or supervisor)."""

    username: str
    display_name: str
    role: str  # "assessor" | "supervisor"
    active: bool = True


EVERY = "*"
"""The id noted when a write changed too many records of a type to list (a bulk load)."""


@dataclass(frozen=True, slots=True)
class Changed:
    """What one committed write changed: record type → ids (``elder``, ``assessment``,
    ``setting``, ``assessor``, …, as in the change log; :data:`EVERY` for "many")."""

    records: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def ids(self, record_type: str) -> frozenset[str]:
        """The ids of one record type that changed."""
        return self.records.get(record_type, frozenset())

    def touches(self, *record_types: str) -> bool:
        """True when any record of these types changed."""
        return any(self.records.get(t) for t in record_types)

    def __bool__(self) -> bool:
        return any(self.records.values())


Listener = Callable[[Changed], None]
"""Called after each committed write that changed something, on the writing thread."""
