"""The change log (sync outbox) and the audit log: sequence, hash chains, acks, tampering."""

from __future__ import annotations

import pytest

from assessment.errors import InputRejected
from assessment.records.changelog import body_hash
from assessment.records.database import connect_raw
from assessment.records.datadir import database_path, keyring_path
from assessment.records.keyring import Keyring
from assessment.records.workspace import Workspace
from assessment.wire.changes import (
    GENESIS_HASH,
    canonical_json,
    change_from_json,
    make_change,
    verify_chain,
)
from tests.records.conftest import PASSWORD, complete_answers, elder


def _busy(ws: Workspace) -> str:
    person = ws.elders.create(elder())
    draft = ws.assessments.start(person.elder_id, "首次评估")
    ws.assessments.autosave(draft.assessment_id, complete_answers(draft.answers))
    ws.assessments.finalize(draft.assessment_id)
    ws.settings.set("routine_interval_months", 24)
    return draft.assessment_id


def test_every_write_appends_a_chained_change(workspace: Workspace) -> None:
    before, _, _ = workspace.outbox.chain_head()
    assessment_id = _busy(workspace)
    changes = workspace.outbox.changes_after(0)
    assert [c.seq for c in changes] == list(range(1, len(changes) + 1))
    assert changes[0].prev_hash == GENESIS_HASH
    assert verify_chain(changes) == []
    assert workspace.outbox.verify() == []
    assert {c.device_id for c in changes} == {workspace.device_id}
    hlcs = [c.hlc for c in changes]
    assert hlcs == sorted(hlcs)
    assert len(set(hlcs)) == len(hlcs)
    for change in changes:  # the wire form verifies, so the server can check each hash
        assert change_from_json(change.to_json()) == change
    kinds = [(c.record_type, c.version) for c in changes[before:]
             if c.record_id == assessment_id]
    assert kinds == [("assessment", 1), ("assessment", 2), ("assessment", 3)]
    finalized = [c for c in changes if c.record_id == assessment_id][-1]
    assert finalized.payload["status"] == "finalized"
    assert finalized.payload["certificate_no"] == "TEST01-000001"
    # Each write also produced an audit change right after its record change.
    audits = [c for c in changes if c.record_type == "audit"]
    assert len(audits) == len(changes) // 2
    assert workspace.outbox.changes_after(len(changes) - 2) == changes[-2:]


def test_local_settings_never_enter_the_outbox(workspace: Workspace) -> None:
    workspace.settings.set("device.signing_key", "PRIVATE-KEY-MATERIAL")
    assert workspace.settings.get("device.signing_key") == "PRIVATE-KEY-MATERIAL"
    wire = str([c.to_json() for c in workspace.outbox.changes_after(0)])
    assert "PRIVATE-KEY-MATERIAL" not in wire
    assert workspace.audit.trail()[-1].record_id == "device.signing_key"


def test_mark_acked_marks_without_deleting(workspace: Workspace) -> None:
    _busy(workspace)
    last, last_hash, acked = workspace.outbox.chain_head()
    assert acked == 0
    assert len(workspace.outbox.pending_changes()) == last
    workspace.outbox.mark_acked(4)
    assert workspace.outbox.sync_state().acked_seq == 4
    workspace.outbox.mark_acked(4)  # a repeated ack is a no-op
    workspace.outbox.mark_acked(2)  # and an older one never moves it back
    assert workspace.outbox.sync_state().acked_seq == 4
    pending = workspace.outbox.pending_changes()
    assert [c.seq for c in pending] == list(range(5, last + 1))
    assert len(workspace.outbox.changes_after(0)) == last  # nothing deleted
    assert workspace.outbox.chain_head() == (last, last_hash, 4)
    with pytest.raises(InputRejected, match="超出"):
        workspace.outbox.mark_acked(last + 1)


def test_audit_chain_records_who_what_when(workspace: Workspace) -> None:
    assessment_id = _busy(workspace)
    workspace.audit.log("certificate", assessment_id)
    trail = workspace.audit.trail()
    assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
    assert trail[0].action == "create_workspace"
    actions = [e.action for e in workspace.audit.trail(record_id=assessment_id)]
    assert actions == ["start_assessment", "autosave", "finalize", "view_certificate"]
    assert all(e.username == "admin" for e in trail)
    assert workspace.audit.verify() == []
    autosave = next(e for e in trail if e.action == "autosave")
    assert "B.1.1" in autosave.detail["changed"]
    assert "张" not in str(autosave.detail)  # details name fields, not personal values


def test_tampering_is_detected(workspace: Workspace) -> None:
    _busy(workspace)
    data_dir = workspace.data_dir
    workspace.close()
    key = Keyring.load(keyring_path(data_dir)).unlock("admin", PASSWORD)
    conn = connect_raw(database_path(data_dir), key)
    try:
        conn.execute("UPDATE audit_log SET action = 'nothing' WHERE seq = 3")
        conn.execute("UPDATE change_log SET payload = '{}' WHERE seq = 2")
    finally:
        conn.close()
    with Workspace.open(data_dir, "admin", PASSWORD) as reopened:
        assert [(b.seq, b.kind) for b in reopened.audit.verify()] == [(3, "hash")]
        stored = reopened.outbox.changes_after(0)
        with pytest.raises(InputRejected, match="哈希不符"):
            change_from_json(stored[1].to_json())


def test_bulk_hash_equals_make_change() -> None:
    payload = {"name": "张三", "n": 1, "list": ["a", None], "nested": {"b": 2.5, "a": True}}
    made = make_change(device_id="dev-1", seq=7, record_type="elder", record_id="r-1",
                       version=3, hlc=123456789, payload=payload, prev_hash=GENESIS_HASH)
    assert made.hash == body_hash(device_id="dev-1", seq=7, record_type="elder",
                                  record_id="r-1", version=3, hlc=123456789,
                                  payload_json=canonical_json(payload), prev_hash=GENESIS_HASH)


def test_rejected_write_leaves_no_trace(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    head = workspace.outbox.chain_head()
    audit_count = len(workspace.audit.trail())
    with pytest.raises(InputRejected):
        workspace.assessments.finalize(draft.assessment_id)
    assert workspace.outbox.chain_head() == head
    assert len(workspace.audit.trail()) == audit_count
