"""A laptop's restoration of a deregistered elder must carry a supervisor's authority the
county can check (issue 13), against a real uvicorn.

Every account of a laptop unlocks the same database and the same device key, so an assessor
can write any change into the outbox himself. Before: the county applied whatever
``elder_status`` change a laptop pushed, so an assessor's own "restoration" put a deregistered
elder back on the roll in every laptop. Now a restoration carries the county's supervisor grant
of the restoring account and that account's own signature; the county quarantines one without
them (code ``restore_unauthorized``), and a lifecycle "merge" from a laptop (``county_only``).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from assessment.cli import main
from assessment.records.api import RegisterFilter
from assessment.records.demo import DEMO_ASSESSORS, DEMO_PASSWORD, DEMO_SUPERVISOR
from assessment.records.registry_store import status_of
from assessment.records.rolegrants import COUNTY_GRANTS
from assessment.records.workspace import Workspace
from assessment.registry.status import ACTIVE, MERGED, ElderStatus
from assessment.wire.restoreauthority import make_authority
from testkit.process import ServerProcess
from tests.server.test_two_laptops import Laptops

ASSESSOR = DEMO_ASSESSORS[0]


@pytest.fixture
def laptops(tmp_path: Path, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> Laptops:
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    return Laptops(tmp_path, capsys)


def _forge(folder: Path, elder_id: str, by: str, *, status: str = ACTIVE,
           copy_grant_of: str | None = None) -> None:
    """What the assessor can do with his own password: write a lifecycle change into the
    outbox himself, signed with his own key (optionally carrying another account's grant)."""
    with Workspace.open(folder, ASSESSOR, DEMO_PASSWORD) as ws:
        seed = ws._ctx.signing_seed
        assert seed is not None
        with ws._store.writing() as (session, state):
            version = status_of(session, elder_id).version + 1
            grants = ws.settings.get(COUNTY_GRANTS) or {}
            grant = grants.get(copy_grant_of) if copy_grant_of else None
            why = "家属说人还在"
            authority = make_authority(seed, grant, ws.device_id, elder_id, version, by, why)
            forged = ElderStatus(elder_id, status, None,
                                 date.today() if status == MERGED else None, why,
                                 merged_into=elder_id if status == MERGED else None,
                                 version=version, by=by, at="2026-12-01T00:00:00+00:00",
                                 authority=authority)
            ws.registry._write_status(session, state, forged, "restore", {"why": why})


def _county_status(server: ServerProcess, elder_id: str) -> str:
    return str(json.loads(server.scalar(
        "SELECT payload FROM record_heads WHERE record_type = 'elder_status' "
        "AND record_id = :r", r=elder_id))["status"])


def test_only_a_county_granted_supervisor_restores(
        shared_server: ServerProcess, laptops: Laptops,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = shared_server
    admin = server.admin()
    tag = uuid.uuid4().hex[:8]
    admin.setup_township(f"s{tag}", [f"a{tag}", f"b{tag}"])
    laptops.ok("one", "enrol", "--server", server.url, "--code", admin.code(f"a{tag}"))
    laptops.ok("two", "enrol", "--server", server.url, "--code", admin.code(f"b{tag}"))
    for name in ("one", "two"):
        laptops.ok(name, "run")
    with laptops.open("one") as one:
        device_id, account_key = one.device_id, one.accounts.own_key()
    assert account_key is not None
    county = ["county", "--data-dir", str(server.data_dir)]
    county += ["--db", server.db_url] if server.db_url else []
    assert main([*county, "account", "grant", "--device", device_id,
                 "--user", DEMO_SUPERVISOR, "--key", account_key]) == 0
    capsys.readouterr()
    laptops.ok("one", "run")

    day = date.today() - timedelta(days=3)
    with laptops.open("one") as one:
        assert one.current_user.role == "supervisor"
        elders = [r.elder_id for r in one.elders.page(RegisterFilter(), 0, 100)][:4]
        for elder_id in elders:
            one.registry.deregister(elder_id, "死亡", day, "村委会告知")
    laptops.ok("one", "run")
    own, copied, genuine, merged = elders
    assert {_county_status(server, e) for e in elders} == {"deregistered"}

    # The assessor restores in his own name; then in the supervisor's name with the
    # supervisor's grant copied, but signed with his own key; then "merges" an elder.
    _forge(laptops.dirs["one"], own, ASSESSOR)
    _forge(laptops.dirs["one"], copied, DEMO_SUPERVISOR, copy_grant_of=DEMO_SUPERVISOR)
    _forge(laptops.dirs["one"], merged, ASSESSOR, status=MERGED)
    # The supervisor restores for real.
    with laptops.open("one") as one:
        one.registry.restore(genuine, "登记有误，老人健在")
    laptops.ok("one", "run")

    held = dict(server.query(
        "SELECT record_id, code FROM quarantine WHERE record_type = 'elder_status' "
        "AND device_id = :d", d=device_id))
    assert held == {own: "restore_unauthorized", copied: "restore_unauthorized",
                    merged: "county_only"}
    reason = server.scalar("SELECT reason FROM quarantine WHERE record_id = :r", r=own)
    assert "管理员本人签名" in str(reason)
    assert (_county_status(server, own), _county_status(server, copied),
            _county_status(server, merged), _county_status(server, genuine)) == \
        ("deregistered", "deregistered", "deregistered", "active")

    # The other laptop hears only of the real restoration.
    laptops.ok("two", "run")
    with laptops.open("two") as two:
        assert [two.elders.get(e).status for e in elders] == \
            ["deregistered", "deregistered", "active", "deregistered"]
