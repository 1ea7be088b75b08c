"""Encryption at rest and sign-in: wrong passwords, several accounts, raw-file grep."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assessment.errors import InputRejected
from assessment.records.api import RegisterFilter, SignInFailed, StoreError
from assessment.records.datadir import database_path, keyring_path
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR, create_demo_workspace
from assessment.records.workspace import Workspace
from tests.records.conftest import PASSWORD, complete_answers, elder


def test_wrong_password_and_unknown_user(workspace: Workspace) -> None:
    data_dir = workspace.data_dir
    workspace.close()
    with pytest.raises(SignInFailed) as failed:
        Workspace.open(data_dir, "admin", "not-the-password")
    assert "密码错误" in str(failed.value)
    with pytest.raises(SignInFailed):
        Workspace.open(data_dir, "nobody", PASSWORD)
    with Workspace.open(data_dir, " Admin ", PASSWORD) as ws:  # usernames are normalised
        assert ws.current_user.username == "admin"


def test_two_accounts_share_one_key(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    workspace.accounts.add("pinggu1", "pass-word-1", "评估员一")
    with pytest.raises(InputRejected):
        workspace.accounts.add("pinggu1", "pass-word-1", "评估员一")
    with pytest.raises(InputRejected):
        workspace.accounts.add("pinggu3", "short", "评估员三")
    data_dir = workspace.data_dir
    workspace.close()
    with Workspace.open(data_dir, "pinggu1", "pass-word-1") as assessor:
        assert assessor.current_user.role == "assessor"
        assert assessor.elders.get(person.elder_id).name == "张三"
        draft = assessor.assessments.start(person.elder_id, "首次评估")
        assert assessor.audit.trail(record_id=draft.assessment_id)[0].username == "pinggu1"
        with pytest.raises(InputRejected):
            assessor.accounts.add("pinggu9", "pass-word-9", "无权添加")
        assessor.accounts.change_password("pass-word-1", "new-pass-1")
        assert {a.username for a in assessor.accounts.all()} == {"admin", "pinggu1"}
    with pytest.raises(SignInFailed):
        Workspace.open(data_dir, "pinggu1", "pass-word-1")
    with Workspace.open(data_dir, "pinggu1", "new-pass-1"):
        pass
    with Workspace.open(data_dir, "admin", PASSWORD) as admin:
        admin.accounts.set_active("pinggu1", False)
    with pytest.raises(SignInFailed):
        Workspace.open(data_dir, "pinggu1", "new-pass-1")


def test_keyring_holds_no_personal_data(workspace: Workspace) -> None:
    workspace.accounts.add("zhangwei", "pass-word-1", "张伟")
    text = keyring_path(workspace.data_dir).read_text(encoding="utf-8")
    assert "zhangwei" not in text
    assert "张伟" not in text
    assert "admin" not in text
    data = json.loads(text)
    assert len(data["accounts"]) == 2


def test_damaged_keyring_is_a_clear_error(workspace: Workspace) -> None:
    data_dir = workspace.data_dir
    workspace.close()
    keyring_path(data_dir).write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError) as error:
        Workspace.open(data_dir, "admin", PASSWORD)
    assert "密钥文件" in str(error.value)


def test_copied_files_reveal_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    create_demo_workspace(data_dir, elders=60, seed=7)
    with Workspace.open(data_dir, DEMO_SUPERVISOR, DEMO_PASSWORD) as ws:
        rows = ws.elders.page(RegisterFilter(), 0, 100)
        profiles = [ws.elders.get(r.elder_id) for r in rows]
        # Leave fresh writes in the WAL as well: copy while the workspace is open.
        draft = ws.assessments.start(profiles[0].elder_id, "即时评估")
        ws.assessments.autosave(draft.assessment_id, complete_answers(draft.answers))
        copy = tmp_path / "copy"
        copy.mkdir()
        for path in data_dir.iterdir():
            shutil.copy2(path, copy / path.name)
    wal = Path(str(database_path(copy)) + "-wal")
    assert wal.exists()
    assert wal.stat().st_size > 0
    blobs = [p.read_bytes() for p in copy.iterdir()]
    secrets: list[bytes] = []
    for profile in profiles:
        assert profile.id_number is not None
        secrets += [profile.id_number.encode(), profile.id_number[-8:].encode(),
                    profile.name.encode("utf-8")]
        if profile.phone:
            secrets.append(profile.phone.encode())
    secrets += ["荫城镇".encode(), b"CREATE TABLE", b"SQLite format 3", b"elders"]
    leaked = [s for s in secrets for blob in blobs if s in blob]
    assert leaked == []
