"""Two demo laptops and one real county server, driven through ``yinling sync`` end to end.

Each laptop is a real encrypted Workspace made by the demo generator; the county is a uvicorn
subprocess on SQLite and on PostgreSQL. Laptop one enrols online and pushes; laptop two enrols
offline and sends a bundle, whose receipt it imports; both pull. Afterwards the two laptops and
the county hold the same elder profiles and finalized assessments; concurrent edits of one
elder merge, with the service-list attribute conflict in the county's review queue; a
repeated sync changes nothing; a revoked laptop is refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from assessment.cli import main
from assessment.records.api import AssessmentStatus, ElderProfile, RegisterFilter
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR, create_demo_workspace
from assessment.records.profiles import DERIVED_ATTRIBUTES
from assessment.records.workspace import Workspace
from testkit.process import ServerProcess

SHOWN = ("finalized", "superseded")


class Laptops:
    """The two demo laptops, reached through the command line or opened for a look."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.dirs = {"one": root / "one", "two": root / "two"}
        self.capsys = capsys
        for seed, folder in enumerate(self.dirs.values(), start=11):
            create_demo_workspace(folder, elders=5, seed=seed)

    def sync(self, name: str, *argv: str) -> tuple[int, str, str]:
        """``yinling sync --data-dir … --user guanli argv`` on one laptop."""
        code = main(["sync", "--data-dir", str(self.dirs[name]), "--user", DEMO_SUPERVISOR,
                     *argv])
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, name: str, *argv: str) -> str:
        """Run a sync action that must succeed; its standard output."""
        code, out, err = self.sync(name, *argv)
        assert code == 0, err
        return out

    def status(self, name: str) -> dict[str, Any]:
        """``yinling sync status`` as JSON."""
        result: dict[str, Any] = json.loads(self.ok(name, "status"))
        return result

    def open(self, name: str) -> Workspace:
        """Sign in to one laptop (caller closes it)."""
        return Workspace.open(self.dirs[name], DEMO_SUPERVISOR, DEMO_PASSWORD)


@pytest.fixture
def laptops(tmp_path: Path, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> Laptops:
    """Two demo laptops of one township; the password comes from the environment."""
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    return Laptops(tmp_path, capsys)


def _clean(values: dict[str, Any], drop: frozenset[str] = frozenset()) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and k not in drop}


def _laptop_view(profile: ElderProfile) -> dict[str, Any]:
    return {"name": profile.name, "id_number": profile.id_number, "sex": profile.sex,
            "birth_date": profile.birth_date.isoformat() if profile.birth_date else None,
            "township": profile.township, "village": profile.village,
            "address": profile.address, "phone": profile.phone,
            "household_id": profile.household_id, "info": _clean(dict(profile.info)),
            "attributes": _clean(dict(profile.attributes), DERIVED_ATTRIBUTES),
            "version": profile.version}


def _server_view(payload: dict[str, Any], version: int) -> dict[str, Any]:
    return {**{k: payload.get(k) for k in ("name", "id_number", "sex", "birth_date",
                                           "township", "village", "address", "phone",
                                           "household_id")},
            "info": _clean(payload.get("info") or {}),
            "attributes": _clean(payload.get("attributes") or {}), "version": version}


def laptop_records(ws: Workspace) -> tuple[dict[str, Any], dict[str, Any]]:
    """(elders by id, finalized/superseded assessments by id) of one laptop."""
    elders: dict[str, Any] = {}
    assessments: dict[str, Any] = {}
    for row in ws.elders.page(RegisterFilter(), 0, 10_000):
        elders[row.elder_id] = _laptop_view(ws.elders.get(row.elder_id))
        for record in ws.assessments.for_elder(row.elder_id):
            if record.status is not AssessmentStatus.DRAFT:
                assessments[record.assessment_id] = (record.version, record.status.value,
                                                     record.final_grade, record.certificate_no)
    return elders, assessments


def county_records(server: ServerProcess, township: str) -> tuple[dict[str, Any],
                                                                  dict[str, Any]]:
    """The same, as the county holds it (record heads of the township)."""
    rows = server.query(
        "SELECT h.record_type, h.record_id, h.version, h.payload, h.status FROM record_heads h "
        "JOIN townships t ON t.id = h.township_id WHERE t.code = :t "
        "AND h.record_type IN ('elder', 'assessment')", t=township)
    elders: dict[str, Any] = {}
    assessments: dict[str, Any] = {}
    for record_type, record_id, version, text, status in rows:
        payload = json.loads(text)
        if record_type == "elder":
            elders[record_id] = _server_view(payload, int(version))
        elif status in SHOWN:
            assessments[record_id] = (int(version), status, payload["final_grade"],
                                      payload["certificate_no"])
    return elders, assessments


def assert_all_agree(laptops: Laptops, server: ServerProcess, township: str) -> None:
    """Both laptops and the county hold the same elders and finalized assessments."""
    with laptops.open("one") as one, laptops.open("two") as two:
        first, second = laptop_records(one), laptop_records(two)
    county = county_records(server, township)
    assert first[0] == second[0] == county[0]
    assert first[1] == second[1] == county[1]
    assert len(first[0]) == 10
    assert first[1]


def test_two_laptops_and_a_county_agree(shared_server: ServerProcess, laptops: Laptops,
                                        tmp_path: Path) -> None:
    server = shared_server
    admin = server.admin()
    tag = uuid.uuid4().hex[:8]
    township = f"t{tag}"
    admin.setup_township(township, [f"a{tag}", f"b{tag}"])
    # A list version the county publishes reaches the laptops with their next pull.
    source = Path(__file__).resolve().parents[2] / "resources/service_lists/changzhi.yaml"
    content = source.read_text(encoding="utf-8").replace('"2021.1"', f'"2099.{tag}"')
    list_id = f"changzhi-{tag}"
    admin.call("POST", "/admin/lists", json={"list_id": list_id, "version": 1,
                                             "content": content})

    # Laptop one enrols online with a one-time code and pushes its demo township.
    assert "已登记" in laptops.ok("one", "enrol", "--server", server.url, "--code",
                                admin.code(f"a{tag}"))
    laptops.ok("one", "push")
    assert laptops.status("one")["pending"] == 0

    # Laptop two enrols offline and carries a bundle to the county; the receipt comes back.
    request, answer = tmp_path / "request.json", tmp_path / "answer.json"
    laptops.ok("two", "enrol-request", "--code", admin.code(f"b{tag}"), "--out", str(request))
    county = ["county", "--data-dir", str(server.data_dir)]
    county += ["--db", server.db_url] if server.db_url else []
    assert main([*county, "enrol-device", str(request), "--out", str(answer)]) == 0
    laptops.ok("two", "enrol-import", str(answer), "--server", server.url)
    bundle = tmp_path / "usb" / "two.ylb"
    bundle.parent.mkdir()
    laptops.ok("two", "export-bundle", "--out", str(bundle))
    receipt = admin.call("POST", "/admin/bundles", content=bundle.read_bytes())
    receipt_file = bundle.parent / "receipt.json"
    receipt_file.write_text(json.dumps(receipt, ensure_ascii=False), encoding="utf-8")
    laptops.ok("two", "import-receipt", str(receipt_file))
    status_two = laptops.status("two")
    assert (status_two["pending"], status_two["enrolled"], status_two["township"]) == \
        (0, True, township)

    # Both pull: every record of the township is on both laptops and at the county.
    laptops.ok("one", "pull")
    laptops.ok("two", "pull")
    assert_all_agree(laptops, server, township)
    installed = laptops.dirs["one"] / "service_lists" / f"changzhi@2099.{tag}.yaml"
    assert hashlib.sha256(installed.read_bytes()).hexdigest() == \
        hashlib.sha256(content.encode("utf-8")).hexdigest()
    assert [v["status"] for v in laptops.status("two")["lists"]
            if v["list_id"] == list_id] == ["installed"]
    with laptops.open("two") as two:
        graded = [r for r in two.elders.page(RegisterFilter(), 0, 100) if r.grade is not None]
        one_id = laptops.status("one")["device_id"]
        assert any(two.elders.get(r.elder_id).township for r in graded)
        assert one_id != two.device_id

    # Both edit one elder offline: different fields merge, the attribute conflict is reviewed.
    with laptops.open("one") as one:
        elder_id = one.elders.page(RegisterFilter(), 0, 1)[0].elder_id
        base = one.elders.get(elder_id)
        one.elders.save(dataclasses.replace(
            base, phone="13900000001",
            attributes={**base.attributes, "assistance_status": "dibao_edge"}))
    with laptops.open("two") as two:
        base = two.elders.get(elder_id)
        two.elders.save(dataclasses.replace(
            base, address="新地址 8 号",
            attributes={**base.attributes, "assistance_status": "tekun_centralized"}))
    laptops.ok("one", "run")
    laptops.ok("two", "run")
    laptops.ok("one", "run")
    assert_all_agree(laptops, server, township)
    with laptops.open("one") as one, laptops.open("two") as two:
        merged = one.elders.get(elder_id)
        assert (merged.phone, merged.address) == ("13900000001", "新地址 8 号")
        assert [c.field for c in one.outbox.conflicts(elder_id)] == \
            [c.field for c in two.outbox.conflicts(elder_id)] == ["attributes.assistance_status"]
    conflicts = admin.call("GET", "/admin/review/conflicts", params={"township": township})
    assert [(c["field"], c["review_required"]) for c in conflicts] == \
        [("attributes.assistance_status", True)]

    # A repeated sync is a no-op everywhere.
    before = {name: laptops.status(name) for name in ("one", "two")}
    held = server.scalar("SELECT COUNT(*) FROM received_changes")
    for name in ("one", "two", "one", "two"):
        _, _, err = laptops.sync(name, "run")
        assert "已推送 0 条" in err
        assert "已拉取 0 条" in err
    assert {name: laptops.status(name) for name in ("one", "two")} == before
    assert server.scalar("SELECT COUNT(*) FROM received_changes") == held

    # A revoked laptop is refused, and refuses further sync by itself.
    admin.call("POST", f"/admin/devices/{before['two']['device_id']}/revoke")
    with laptops.open("two") as two:
        two.elders.save(dataclasses.replace(two.elders.get(elder_id), phone="13900000009"))
    code, _, err = laptops.sync("two", "push")
    assert code == 1
    assert "停用" in err
    assert laptops.status("two")["revoked"]
    code, _, err = laptops.sync("two", "export-bundle", "--out", str(tmp_path / "late.ylb"))
    assert (code, "停用" in err) == (1, True)
    assert not (tmp_path / "late.ylb").exists()
    laptops.ok("one", "run")  # the other laptop carries on
