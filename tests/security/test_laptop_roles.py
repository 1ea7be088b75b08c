"""Roles that can be verified (issue 12, item 5), attacked through the real SQLCipher store.

Before: every account unlocks the same database key, so an assessor ran
``UPDATE accounts SET role='supervisor'`` with that key, then created a supervisor account, and
the integrity, audit and change-chain checks all stayed clean; any assessor could change
等级提升方式. Now a supervisor needs a grant signed by the workspace's root key or another
supervisor's own key (wrapped under their password); without one the account works as an
assessor and the audit check names it; supervisor-only settings are refused in the core.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from assessment.errors import InputRejected
from assessment.records.database import open_engine
from assessment.records.datadir import database_path, keyring_path
from assessment.records.keyring import Keyring
from assessment.records.workspace import Workspace
from assessment.settings import GRADE_RAISE_MODE, ROUTINE_INTERVAL_MONTHS

ADMIN, ADMIN_PASSWORD = "admin", "secret-123456"
ASSESSOR, ASSESSOR_PASSWORD = "pinggu1", "field-visit-2026"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    with Workspace.create(folder, username=ADMIN, password=ADMIN_PASSWORD,
                          display_name="管理员", role="supervisor") as ws:
        ws.accounts.add(ASSESSOR, ASSESSOR_PASSWORD, "评估员一")
        ws.accounts.add("zhuren", "township-head-1", "副管理员", "supervisor")
    return folder


def _raw_sql(data_dir: Path, statement: str) -> None:
    """What the assessor did: unwrap the database key with their own password and write SQL."""
    key = Keyring.load(keyring_path(data_dir)).unlock(ASSESSOR, ASSESSOR_PASSWORD)
    engine = open_engine(database_path(data_dir), key)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_an_assessor_who_rewrites_his_role_still_works_as_an_assessor(data_dir: Path) -> None:
    _raw_sql(data_dir, f"UPDATE accounts SET role = 'supervisor' WHERE username = '{ASSESSOR}'")
    with Workspace.open(data_dir, ASSESSOR, ASSESSOR_PASSWORD) as ws:
        assert ws.current_user.role == "assessor"
        with pytest.raises(InputRejected, match="只有管理员"):
            ws.accounts.add("mole", "mole-account-1", "内鬼", "supervisor")
        with pytest.raises(InputRejected, match="只有管理员"):
            ws.lists.install(Path("whatever.yaml"))
    # The audit check names the account.
    with Workspace.open(data_dir, ADMIN, ADMIN_PASSWORD) as ws:
        problems = [b for b in ws.audit.verify() if b.kind == "role_grant"]
        assert len(problems) == 1
        assert ASSESSOR in problems[0].detail


def test_supervisors_with_signed_grants_keep_their_role(data_dir: Path) -> None:
    for name, password in ((ADMIN, ADMIN_PASSWORD), ("zhuren", "township-head-1")):
        with Workspace.open(data_dir, name, password) as ws:
            assert ws.current_user.role == "supervisor"
            assert [b for b in ws.audit.verify() if b.kind == "role_grant"] == []


def test_an_altered_grant_counts_as_assessor(data_dir: Path) -> None:
    # Move the second supervisor's grant onto the assessor: the signature names zhuren.
    _raw_sql(data_dir, f"UPDATE accounts SET role = 'supervisor' WHERE username = '{ASSESSOR}'")
    _raw_sql(data_dir, "UPDATE settings SET value = json_set(value, '$.pinggu1', "
                       "json_extract(value, '$.zhuren')) WHERE key = 'local.role_grants'")
    with Workspace.open(data_dir, ASSESSOR, ASSESSOR_PASSWORD) as ws:
        assert ws.current_user.role == "assessor"
    with Workspace.open(data_dir, ADMIN, ADMIN_PASSWORD) as ws:
        assert any(ASSESSOR in b.detail for b in ws.audit.verify() if b.kind == "role_grant")


@pytest.mark.parametrize(("setting", "value"), [
    (GRADE_RAISE_MODE.key, "cumulative"), (ROUTINE_INTERVAL_MONTHS.key, 24)])
def test_only_a_supervisor_changes_what_decides_a_grade(data_dir: Path, setting: str,
                                                        value: object) -> None:
    with Workspace.open(data_dir, ASSESSOR, ASSESSOR_PASSWORD) as ws:
        before = ws.settings.get(setting)
        with pytest.raises(InputRejected, match="只有管理员可以修改") as caught:
            ws.settings.set(setting, value)
        assert caught.value.problems[0].field == setting
        assert ws.settings.get(setting) == before
    with Workspace.open(data_dir, ADMIN, ADMIN_PASSWORD) as ws:
        ws.settings.set(setting, value)
        assert ws.settings.get(setting) == value
