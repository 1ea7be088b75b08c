"""What the managers of one open workspace share: the store and the signed-in session.

A :class:`~assessment.records.workspace.Workspace` owns one :class:`Context` (made when it is
opened) and hands it to each of its managers (``workspace.elders``, ``.assessments``,
``.accounts``, ``.settings``, ``.outbox``, ``.audit``, ``.lists``, ``.visits``,
``.registry``). The managers reach the database only through :attr:`Context.store`
(transactions, change and audit logging, change notices); nothing here is visible above the
records package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assessment.forms import Form
from assessment.records.api import Assessor
from assessment.records.store import Store


@dataclass(eq=False, slots=True)
class Context:
    """The open store and who is signed in on which device."""

    store: Store
    data_dir: Path
    #: The unwrapped database key, kept for the session: a supervisor wraps it for a new
    #: account, backups are encrypted with it.
    key: bytes
    device_id: str
    #: The short code shown for this laptop (the county may assign another at enrolment).
    device_code: str
    user: Assessor
    form: Form
    #: The signed-in account's own signing seed (see keyring): known only after a sign-in
    #: with the password, needed to sign what only a supervisor may sign.
    signing_seed: bytes | None = None

    @property
    def username(self) -> str:
        """The signed-in account's username."""
        return self.user.username

    @property
    def is_supervisor(self) -> bool:
        """True when the signed-in account acts as a supervisor (a valid signed grant)."""
        return self.user.role == "supervisor"
