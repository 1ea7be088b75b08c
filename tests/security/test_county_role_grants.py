"""County-signed role grants for enrolled laptops (issue 12, item 5), against a real uvicorn.

Before: on an enrolled laptop a supervisor was whoever the workspace's own grant chain named,
so the county had no say, and it had no command to grant a role. Now an enrolled laptop
counts only grants the county signed: ``yinling county account grant`` puts one into the
township feed, the laptop's next pull stores it, and the account is a supervisor; a grant
altered in the store (copied to another account, or its signature changed) counts as assessor
and the audit check names the account.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from assessment.cli import main
from assessment.records.database import open_engine
from assessment.records.datadir import database_path, keyring_path
from assessment.records.demo import (
    DEMO_ASSESSORS,
    DEMO_PASSWORD,
    DEMO_SUPERVISOR,
    create_demo_workspace,
)
from assessment.records.keyring import Keyring
from assessment.records.rolegrants import COUNTY_GRANTS
from assessment.records.workspace import Workspace
from testkit.process import ServerProcess

ASSESSOR = DEMO_ASSESSORS[0]


def _sync(capsys: pytest.CaptureFixture[str], folder: Path, *argv: str) -> str:
    code = main(["sync", "--data-dir", str(folder), "--user", DEMO_SUPERVISOR, *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _role(folder: Path, username: str) -> str:
    with Workspace.open(folder, username, DEMO_PASSWORD) as ws:
        return ws.current_user.role


def _grant_problems(folder: Path) -> list[str]:
    with Workspace.open(folder, DEMO_SUPERVISOR, DEMO_PASSWORD) as ws:
        return [b.detail for b in ws.audit.verify() if b.kind == "role_grant"]


def _rewrite_grants(folder: Path, change: Any) -> None:
    """What an assessor can do with the database key his own password unwraps."""
    key = Keyring.load(keyring_path(folder)).unlock(ASSESSOR, DEMO_PASSWORD)
    engine = open_engine(database_path(folder), key)
    try:
        with engine.begin() as conn:
            raw = conn.execute(text("SELECT value FROM settings WHERE key = :k"),
                               {"k": COUNTY_GRANTS}).scalar_one()
            grants = change(json.loads(raw) if isinstance(raw, str) else raw)
            conn.execute(text("UPDATE settings SET value = :v WHERE key = :k"),
                         {"v": json.dumps(grants), "k": COUNTY_GRANTS})
            conn.execute(text("UPDATE accounts SET role = 'supervisor' WHERE username = :u"),
                         {"u": ASSESSOR})
    finally:
        engine.dispose()


def test_the_county_grants_the_supervisor_role_through_the_feed(
        shared_server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    server = shared_server
    admin = server.admin()
    tag = uuid.uuid4().hex[:8]
    admin.setup_township(f"t{tag}", [f"a{tag}"])
    folder = tmp_path / "laptop"
    create_demo_workspace(folder, elders=3, seed=5)
    assert _role(folder, DEMO_SUPERVISOR) == "supervisor"  # a pilot: its own grant chain
    _sync(capsys, folder, "enrol", "--server", server.url, "--code", admin.code(f"a{tag}"))

    # Enrolled: the workspace's own grant no longer makes a supervisor; the audit says so.
    assert _role(folder, DEMO_SUPERVISOR) == "assessor"
    assert any(DEMO_SUPERVISOR in p for p in _grant_problems(folder))
    with Workspace.open(folder, DEMO_SUPERVISOR, DEMO_PASSWORD) as ws:
        device_id, account_key = ws.device_id, ws.accounts.own_key()
    assert account_key is not None

    county = ["county", "--data-dir", str(server.data_dir)]
    county += ["--db", server.db_url] if server.db_url else []
    # Bad input is refused by name, nothing written.
    assert main([*county, "account", "grant", "--device", "no-such-device",
                 "--user", DEMO_SUPERVISOR]) == 1
    assert "--device: 没有登记编号为 no-such-device 的笔记本" in capsys.readouterr().err
    # A supervisor grant names the account's own key.
    assert main([*county, "account", "grant", "--device", device_id,
                 "--user", DEMO_SUPERVISOR]) == 1
    assert "--key: 请给出该账户的密钥指纹" in capsys.readouterr().err
    assert main([*county, "account", "grant", "--device", device_id,
                 "--user", DEMO_SUPERVISOR, "--key", account_key.upper()]) == 0
    capsys.readouterr()
    _sync(capsys, folder, "pull")
    assert _role(folder, DEMO_SUPERVISOR) == "supervisor"
    assert _role(folder, ASSESSOR) == "assessor"
    assert _grant_problems(folder) == []

    # The assessor copies the supervisor's grant to his own name: still an assessor, reported.
    _rewrite_grants(folder, lambda g: {**g, ASSESSOR: {**g[DEMO_SUPERVISOR],
                                                       "username": ASSESSOR}})
    assert _role(folder, ASSESSOR) == "assessor"
    assert any(ASSESSOR in p for p in _grant_problems(folder))
    # He alters the signature of the supervisor's own grant: that counts as assessor too.
    def forge(g: dict[str, Any]) -> dict[str, Any]:
        grant = dict(g[DEMO_SUPERVISOR])
        signature = grant["signature"]
        grant["signature"] = ("A" if signature[0] != "A" else "B") + signature[1:]
        return {**g, DEMO_SUPERVISOR: grant}
    _rewrite_grants(folder, forge)
    assert _role(folder, DEMO_SUPERVISOR) == "assessor"
    problems = _grant_problems(folder)
    assert any(DEMO_SUPERVISOR in p for p in problems)

    # Withdrawing: the county grants assessor; after the next pull the role is gone.
    assert main([*county, "account", "grant", "--device", device_id,
                 "--user", ASSESSOR, "--role", "assessor"]) == 0
    capsys.readouterr()
    _sync(capsys, folder, "pull")
    assert _role(folder, ASSESSOR) == "assessor"
