"""The county's own changes on one laptop (a real encrypted Workspace, no server).

A transfer notice marks an elder transferred out (and the store refuses a new assessment or
correction for it) only when it comes from this laptop's county; a notice that the elder came
back clears the mark. A county decision on a field closes this laptop's copy of the conflict
about it. Applying the same change again changes nothing.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.errors import InputRejected
from assessment.ids import new_id
from assessment.records import countynotes
from assessment.records.api import RegisterFilter
from assessment.records.workspace import Workspace
from assessment.wire.countydevice import county_device_id
from assessment.wire.crypto import b64encode, public_bytes
from tests.records.conftest import elder
from tests.sync.authors import Author

HOME = "140421101"


@pytest.fixture
def county(workspace: Workspace) -> Author:
    """The laptop enrolled with a county of township ``HOME``; the county's device."""
    public = b64encode(public_bytes(Ed25519PrivateKey.generate().public_key()))
    workspace.settings.set_local({countynotes.COUNTY_SIGN_PUBLIC: public,
                                  countynotes.TOWNSHIP_CODE: HOME})
    return Author(county_device_id(public))


def _notice(ws: Workspace, elder_id: str, to: str, to_name: str) -> dict[str, Any]:
    profile = ws.elders.get(elder_id)
    return {"id": elder_id, "name": profile.name, "changed": [], "version": profile.version,
            "county": {"action": "transfer", "elder_id": elder_id, "from": HOME,
                       "from_name": "本镇", "to": to, "to_name": to_name,
                       "at": "2026-12-08T09:00:00+00:00"}}


def test_a_transfer_notice_of_the_county_marks_the_elder_and_refuses_new_assessments(
        workspace: Workspace, county: Author) -> None:
    ws = workspace
    elder_id = ws.elders.create(elder()).elder_id
    version = ws.elders.get(elder_id).version
    # The same notice from any other device is not the county's: nothing happens.
    forged = Author(new_id()).change(elder_id, version, 10, _notice(ws, elder_id, "B", "乙镇"))
    ws.outbox.apply_incoming([forged], 1)
    assert ws.elders.get(elder_id).transferred_to is None

    notice = county.change(elder_id, version, 20, _notice(ws, elder_id, "B", "乙镇"))
    report = ws.outbox.apply_incoming_report([notice], 2)
    assert report.applied == 1
    assert ws.elders.get(elder_id).transferred_to == "乙镇"
    row = next(r for r in ws.elders.page(RegisterFilter(), 0, 100) if r.elder_id == elder_id)
    assert row.transferred_to == "乙镇"
    before = ws.outbox.sync_state()
    with pytest.raises(InputRejected) as refused:
        ws.assessments.start(elder_id, "首次评估")
    assert [p.field for p in refused.value.problems] == ["elder_id"]
    assert "已迁出至乙镇" in refused.value.problems[0].message
    assert ws.outbox.sync_state() == before  # nothing written
    assert ws.outbox.apply_incoming_report([notice], 2).duplicates == 1

    # Moved back to this township: the mark is cleared and assessments start again.
    back = county.change(elder_id, version, 30, _notice(ws, elder_id, HOME, "本镇"))
    ws.outbox.apply_incoming([back], 3)
    assert ws.elders.get(elder_id).transferred_to is None
    assert ws.assessments.start(elder_id, "首次评估").elder_id == elder_id


def test_a_county_decision_closes_the_local_conflict_of_that_field(
        workspace: Workspace, county: Author) -> None:
    ws = workspace
    created = ws.elders.create(elder())
    elder_id = created.elder_id
    own = ws.elders.save(dataclasses.replace(created, phone="13900000001"))
    own_hlc = ws.outbox.changes_after(0)[-1].hlc
    # Another laptop wrote the phone concurrently (same version): a conflict is kept here.
    other = Author(new_id())
    payload = {"id": elder_id, "name": own.name, "phone": "13900000002", "changed": ["phone"],
               "version": own.version}
    ws.outbox.apply_incoming([other.change(elder_id, own.version, own_hlc + 1, payload)], 1)
    assert [c.field for c in ws.outbox.conflicts(elder_id)] == ["phone"]

    decided = {"id": elder_id, "name": own.name, "phone": "13900000001", "changed": ["phone"],
               "version": own.version + 1,
               "county": {"action": "prefer_other", "conflict": 7}}
    # The same decision claimed by another device settles nothing.
    ws.outbox.apply_incoming([Author(new_id()).change(elder_id, own.version + 1, own_hlc + 5,
                                               decided)], 2)
    assert [c.field for c in ws.outbox.conflicts(elder_id)] == ["phone"]
    ws.outbox.apply_incoming([county.change(elder_id, own.version + 1, own_hlc + 9, decided)], 3)
    assert ws.elders.get(elder_id).phone == "13900000001"
    assert ws.outbox.conflicts(elder_id) == []
    settled = ws.outbox.conflicts(elder_id, include_resolved=True)
    assert [c.field for c in settled] == ["phone"]
    assert settled[0].resolved_at is not None
