"""The Workspace as the sync outbox: chain, acknowledgements, incoming changes, device keys."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from assessment.eligibility.listseal import public_of, sign_list
from assessment.errors import InputRejected
from assessment.records import incoming
from assessment.records.api import AssessmentStatus, RegisterFilter, SignInFailed
from assessment.records.countynotes import COUNTY_SIGN_PUBLIC, ENROLLED, SyncRefused
from assessment.records.datadir import database_path
from assessment.records.workspace import Workspace
from assessment.sync.lists import install_announced_lists
from assessment.wire.bundle import encode_bundle, open_bundle
from assessment.wire.changes import Change, canonical_json, verify_chain
from assessment.wire.outbox import CountyNotices, ListVersion, Outbox, summarise
from tests.records.conftest import PASSWORD, complete_answers, elder
from tests.sync import framing


def _create(folder: Path, code: str) -> Workspace:
    return Workspace.create(folder, username="admin", password=PASSWORD, display_name="管理员",
                            role="supervisor", device_code=code)


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """One laptop."""
    ws = _create(tmp_path / "data", "TEST01")
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Workspace, Workspace]]:
    """Two laptops of one township (no server: changes are handed over directly)."""
    one, two = _create(tmp_path / "one", "ONE001"), _create(tmp_path / "two", "TWO002")
    try:
        yield one, two
    finally:
        one.close()
        two.close()


def _visit(ws: Workspace, sequence: int = 123) -> tuple[str, str]:
    """An elder with one finalized assessment; (elder id, assessment id)."""
    profile = ws.elders.create(elder(sequence=sequence))
    draft = ws.assessments.start(profile.elder_id, "首次评估")
    ws.assessments.autosave(draft.assessment_id, complete_answers(draft.answers, score="min"))
    done = ws.assessments.finalize(draft.assessment_id)
    return profile.elder_id, done.assessment_id


def _hand_over(source: Workspace, target: Workspace, after: int = 0,
               cursor: int = 1) -> list[Change]:
    """Give ``target`` every change of ``source`` above ``after`` (as a pull would)."""
    changes = list(source.outbox.pending_changes(after, 10_000))
    target.outbox.apply_incoming(changes, cursor)
    return changes


def test_workspace_is_an_outbox_and_its_chain_is_continuous(workspace: Workspace) -> None:
    outbox: Outbox = workspace.outbox
    _visit(workspace)
    state = outbox.sync_state()
    assert (state.device_id, state.acked_seq, state.pull_cursor) == (workspace.device_id, 0, 0)
    changes = list(outbox.pending_changes(0, 10_000))
    assert [c.seq for c in changes] == list(range(1, state.last_seq + 1))
    assert verify_chain(changes) == []
    window = outbox.pending_changes(3, 4)
    assert [c.seq for c in window] == [4, 5, 6, 7]
    assert window[0].prev_hash == changes[2].hash
    elder_changes = [c for c in changes if c.record_type == "elder"]
    assert elder_changes[0].payload["changed"]  # elder payloads say which fields changed


def test_wire_form_read_from_the_store_is_the_canonical_json_of_each_change(
        workspace: Workspace) -> None:
    _visit(workspace)
    profile = workspace.elders.create(elder(sequence=321))
    workspace.elders.save(dataclasses.replace(profile, phone="13912345678",
                                              village="南\"村\\ \u2028"))
    changes = list(workspace.outbox.pending_changes(0, 10_000))
    wires = workspace.outbox.pending_wire(0, 10_000)
    assert [w.raw for w in wires] == [c.wire_text().encode("utf-8") for c in changes]
    assert [json.loads(w.raw) for w in wires] == [c.to_json() for c in changes]
    assert all(hashlib.sha256(canonical_json({k: v for k, v in json.loads(w.raw).items()
                                              if k != "hash"})).hexdigest() == w.hash
               for w in wires)
    assert [w.seq for w in workspace.outbox.pending_wire(3, 4)] == [4, 5, 6, 7]
    for after, limit in ((0, 10_000), (3, 4), (len(wires) - 1, 5)):
        assert workspace.outbox.pending_summary(after, limit) == summarise(
            workspace.outbox.pending_wire(after, limit))
    assert workspace.outbox.pending_summary(len(wires), 5) is None


def test_ack_never_moves_backwards_and_deletes_nothing(workspace: Workspace) -> None:
    _visit(workspace)
    last = workspace.outbox.sync_state().last_seq
    workspace.outbox.mark_acked(6)
    workspace.outbox.mark_acked(3)  # an older acknowledgement changes nothing
    state = workspace.outbox.sync_state()
    assert (state.acked_seq, state.pending) == (6, last - 6)
    assert [c.seq for c in workspace.outbox.pending_changes()] == list(range(7, last + 1))
    assert len(workspace.outbox.pending_changes(0, 10_000)) == last  # nothing deleted
    with pytest.raises(InputRejected, match="超出"):
        workspace.outbox.mark_acked(last + 1)
    assert workspace.outbox.sync_state().acked_seq == 6


def test_incoming_changes_appear_in_the_roster_and_never_in_the_outbox(
        pair: tuple[Workspace, Workspace]) -> None:
    one, two = pair
    elder_id, assessment_id = _visit(one)
    before = two.outbox.sync_state()
    report = two.outbox.apply_incoming_report(list(one.outbox.pending_changes(0, 10_000)), 17)
    assert report.applied == one.outbox.sync_state().last_seq
    assert two.outbox.sync_state() == dataclasses.replace(before, pull_cursor=17)  # no own change
    profile = two.elders.get(elder_id)
    assert profile == dataclasses.replace(one.elders.get(elder_id), updated_at=profile.updated_at)
    shown = two.assessments.get(assessment_id)
    assert shown.status is AssessmentStatus.FINALIZED
    assert shown.final_grade == one.assessments.get(assessment_id).final_grade
    rows = two.elders.page(RegisterFilter(), 0, 10)
    assert [(r.elder_id, r.grade) for r in rows] == [(elder_id, shown.final_grade)]
    assert two.elders.count(RegisterFilter(text="zs")) == 1  # indexed for search
    assert two.assessments.drafts() == []
    # Applying the same batch again, or an older cursor, is a no-op.
    again = two.outbox.apply_incoming_report(list(one.outbox.pending_changes(0, 10_000)), 5)
    assert (again.applied, again.duplicates) == (0, report.applied)
    assert two.outbox.sync_state() == dataclasses.replace(before, pull_cursor=17)
    assert two.counts() == {"elders": 1, "assessments": 1, "changes": before.last_seq}


def _term_rows(ws: Workspace, elder_id: str) -> set[str]:
    with ws._store.engine.connect() as conn:
        return {row[0] for row in conn.exec_driver_sql(
            "SELECT term FROM search_terms WHERE elder_num = "
            "(SELECT num FROM elders WHERE id = ?)", (elder_id,))}


def test_a_rename_from_another_laptop_rewrites_the_search_terms(
        pair: tuple[Workspace, Workspace]) -> None:
    """The incoming merge finds the elder's old terms from its old name (the terms keep no
    index by elder): afterwards the other laptop holds exactly the new name's terms."""
    from assessment.records.search import elder_terms

    one, two = pair
    elder_id, _ = _visit(one)
    _hand_over(one, two)
    mark = one.outbox.sync_state().last_seq
    one.elders.save(dataclasses.replace(one.elders.get(elder_id), name="李四"))
    _hand_over(one, two, mark, cursor=2)
    renamed = two.elders.get(elder_id)
    assert renamed.name == "李四"
    assert _term_rows(two, elder_id) == elder_terms("李四", renamed.id_number)
    assert two.elders.count(RegisterFilter(text="zs")) == 0
    assert [r.name for r in two.elders.page(RegisterFilter(text="ls"), 0, 5)] == ["李四"]


def test_concurrent_edits_merge_field_by_field_and_keep_the_loser(
        pair: tuple[Workspace, Workspace]) -> None:
    one, two = pair
    elder_id, _ = _visit(one)
    _hand_over(one, two)
    mark_one, mark_two = one.outbox.sync_state().last_seq, two.outbox.sync_state().last_seq
    base = one.elders.get(elder_id)
    one.elders.save(dataclasses.replace(
        base, phone="13900000001",
        attributes={**base.attributes, "assistance_status": "dibao_edge"}))
    base_two = two.elders.get(elder_id)
    two.elders.save(dataclasses.replace(
        base_two, address="新地址 8 号",
        attributes={**base_two.attributes, "assistance_status": "tekun_dispersed"}))
    _hand_over(one, two, mark_one, cursor=2)
    _hand_over(two, one, mark_two, cursor=2)
    merged_one, merged_two = one.elders.get(elder_id), two.elders.get(elder_id)
    assert dataclasses.replace(merged_one, updated_at=None) == \
        dataclasses.replace(merged_two, updated_at=None)
    assert (merged_one.phone, merged_one.address) == ("13900000001", "新地址 8 号")
    for ws in (one, two):
        conflicts = ws.outbox.conflicts(elder_id)
        assert [(c.field, c.review_required) for c in conflicts] == \
            [("attributes.assistance_status", True)]
        assert {conflicts[0].winner_value, conflicts[0].loser_value} == \
            {"dibao_edge", "tekun_dispersed"}
        assert merged_one.attributes["assistance_status"] == conflicts[0].winner_value
    # A later edit on one laptop, after it saw the other's, wins without a conflict.
    mark_one = one.outbox.sync_state().last_seq
    one.elders.save(dataclasses.replace(one.elders.get(elder_id), phone="13900000003"))
    _hand_over(one, two, mark_one, cursor=3)
    assert two.elders.get(elder_id).phone == "13900000003"
    assert len(two.outbox.conflicts(elder_id)) == 1


def test_a_failure_mid_batch_applies_nothing(pair: tuple[Workspace, Workspace],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = pair
    elder_id, _ = _visit(one)
    changes = list(one.outbox.pending_changes(0, 10_000))

    def broken(ctx: Any, change: Change) -> None:
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(incoming, "_apply_assessment", broken)
    with pytest.raises(RuntimeError):
        two.outbox.apply_incoming(changes, 9)
    assert two.outbox.sync_state().pull_cursor == 0
    assert two.counts()["elders"] == 0
    monkeypatch.undo()
    report = two.outbox.apply_incoming_report(changes, 9)
    assert report.applied == len(changes)  # nothing was remembered as applied before
    assert two.elders.get(elder_id).name == one.elders.get(elder_id).name


def _private_forms(ws: Workspace) -> list[bytes]:
    keys = ws.device_keys()
    forms: list[bytes] = []
    for key in (keys.sign_key, keys.box_key):
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        forms += [raw, raw.hex().encode(), base64.b64encode(raw),
                  base64.b64encode(raw).rstrip(b"=")]
    return forms


def test_device_keys_stay_in_the_encrypted_store(workspace: Workspace) -> None:
    keys = workspace.device_keys()
    assert keys.device_id == workspace.device_id
    assert workspace.device_keys().sign_public == keys.sign_public  # one identity, kept
    _visit(workspace)
    secrets = _private_forms(workspace)
    changes = list(workspace.outbox.pending_changes(0, 10_000))
    wire = canonical_json([c.to_json() for c in changes])
    assert not any(secret in wire for secret in secrets)
    # The bundle, opened with the county's key: the plaintext holds no private key either.
    county = X25519PrivateKey.generate()
    data, _ = encode_bundle(keys, county.public_key(), changes)
    opened = open_bundle(data, device_key=lambda _: keys.sign_key.public_key(),
                         county_box=county)
    assert opened.changes == tuple(changes)
    manifest, plains = framing.decrypt(data, county)
    body = b"".join(plains)
    assert manifest["count"] == len(changes)
    assert [len(json.loads(p)["changes"]) for p in plains] == [len(changes)]  # one frame
    assert not any(secret in body or secret in data for secret in secrets)
    data_dir = workspace.data_dir
    workspace.close()
    raw_files = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert not any(secret in raw_files for secret in secrets)
    assert not list(data_dir.rglob("device-keys*"))
    assert b"SQLite format 3" not in database_path(data_dir).read_bytes()[:16]


def test_revocations_from_the_county(workspace: Workspace) -> None:
    workspace.accounts.add("pinggu1", PASSWORD, "评估员一")
    workspace.outbox.note_county(CountyNotices(revoked_accounts=("pinggu1", "someone-else")))
    state = workspace.outbox.sync_state()
    assert [a.active for a in workspace.accounts.all() if a.username == "pinggu1"] == [False]
    workspace.outbox.note_county(CountyNotices(revoked_accounts=("pinggu1",)))
    assert workspace.outbox.sync_state() == state  # already done: nothing new
    with pytest.raises(SignInFailed):
        Workspace.open(workspace.data_dir, "pinggu1", PASSWORD)
    workspace.outbox.note_county(CountyNotices(revoked_devices=(workspace.device_id,)))
    with pytest.raises(SyncRefused, match="停用"):
        workspace.outbox.pending_changes(0, 10)
    with pytest.raises(SyncRefused, match="停用"):
        workspace.outbox.pending_wire(0, 10)
    with pytest.raises(SyncRefused, match="停用"):
        workspace.outbox.apply_incoming([], 1)


def test_announced_lists_are_installed_into_the_data_folder(workspace: Workspace) -> None:
    source = Path(__file__).resolve().parents[2] / "resources" / "service_lists" / "changzhi.yaml"
    content = source.read_text(encoding="utf-8").replace('version: "2021.1"',
                                                         'version: "2099.1"')
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    notices = CountyNotices(list_versions=(
        ListVersion("changzhi", 2, digest, "2026-01-01T00:00:00Z"),
        ListVersion("broken", 1, "0" * 64, "2026-01-01T00:00:00Z")))
    fetched: list[str] = []
    county_key = Ed25519PrivateKey.generate()  # this laptop's county (as at enrolment)
    workspace.settings.set_local({COUNTY_SIGN_PUBLIC: public_of(county_key), ENROLLED: True})

    def fetch(list_id: str, version: int) -> tuple[str, str]:
        fetched.append(list_id)
        return content, sign_list(county_key, content.encode("utf-8"))

    workspace.outbox.note_county(notices)
    assert install_announced_lists(workspace, fetch).installed == ("changzhi@2",)
    assert (workspace.data_dir / "service_lists" / "changzhi@2099.1.yaml").is_file()
    status = {v.list_id: v.status for v in workspace.lists.announced()}
    assert status == {"changzhi": "installed", "broken": "rejected"}
    workspace.outbox.note_county(notices)  # nothing left to fetch
    assert install_announced_lists(workspace, fetch).installed == ()
    assert sorted(fetched) == ["broken", "changzhi"]
