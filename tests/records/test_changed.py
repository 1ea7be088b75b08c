"""Every committed write tells its subscribers once what changed; a refused write tells none."""

from __future__ import annotations

import threading

import pytest

from assessment.errors import InputRejected
from assessment.records.api import EVERY, Changed
from assessment.records.workspace import Workspace
from assessment.settings import IDLE_LOCK_MINUTES, ROUTINE_INTERVAL_MONTHS
from assessment.wire.outbox import CountyNotices
from tests.records.conftest import elder


def heard(workspace: Workspace) -> list[Changed]:
    seen: list[Changed] = []
    workspace.subscribe(seen.append)
    return seen


def test_a_write_is_heard_once_with_its_records(workspace: Workspace) -> None:
    seen = heard(workspace)
    created = workspace.elders.create(elder())
    assert len(seen) == 1
    assert seen[0].ids("elder") == {created.elder_id}
    record = workspace.assessments.start(created.elder_id, "首次评估")
    assert seen[-1].ids("assessment") == {record.assessment_id}
    assert not seen[-1].touches("setting")
    workspace.settings.set(ROUTINE_INTERVAL_MONTHS.key, 6)
    assert seen[-1].ids("setting") == {ROUTINE_INTERVAL_MONTHS.key}
    workspace.settings.set("local.ui.zoom", 2)  # device-local: audited by name, heard too
    assert seen[-1].ids("setting") == {"local.ui.zoom"}
    assert len(seen) == 4


def test_a_refused_write_and_a_read_are_not_heard(workspace: Workspace) -> None:
    created = workspace.elders.create(elder())
    seen = heard(workspace)
    with pytest.raises(InputRejected):
        workspace.settings.set(IDLE_LOCK_MINUTES.key, 0)
    workspace.audit.log("elder", created.elder_id)  # audited read: nothing changed
    workspace.elders.get(created.elder_id)
    workspace.outbox.note_county(CountyNotices())
    assert seen == []


def test_a_bulk_load_is_heard_as_many(workspace: Workspace) -> None:
    seen = heard(workspace)
    workspace.elders.bulk_load([elder(name="李四", sequence=7), elder(name="王五", sequence=9)])
    assert len(seen) == 1
    assert seen[0].ids("elder") == {EVERY}


def test_writes_from_another_thread_are_heard_and_unsubscribe_stops_it(
        workspace: Workspace) -> None:
    seen: list[Changed] = []
    stop = workspace.subscribe(seen.append)
    worker = threading.Thread(target=lambda: workspace.elders.create(elder(sequence=55)))
    worker.start()
    worker.join()
    assert len(seen) == 1
    stop()
    workspace.elders.create(elder(name="赵六", sequence=66))
    assert len(seen) == 1
