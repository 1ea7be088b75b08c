"""Packed JSON in the store (records.packing, migration 0009): real SQLCipher files."""

from __future__ import annotations

import hashlib
import json
import struct

import pytest
from alembic import command
from sqlalchemy import Engine

from assessment.paths import resources_dir
from assessment.records.api import RegisterFilter, StoreError
from assessment.records.database import writer
from assessment.records.migrate import HEAD_REVISION, alembic_config, current_revision
from assessment.records.packing import (
    DICTIONARY_FILE,
    DICTIONARY_SHA256,
    FORMAT_DICT_1,
    MAX_UNPACKED,
    pack,
    unpack,
)
from assessment.records.workspace import Workspace
from tests.records.conftest import complete_answers, elder

PACKED = (("change_log", "payload"), ("assessments", "answers"), ("elder_details", "info"),
          ("elder_details", "attributes"), ("elder_details", "provenance"))


def engine_of(workspace: Workspace) -> Engine:
    engine: Engine = workspace._store.engine
    return engine


def storage_types(engine: Engine) -> dict[str, set[str]]:
    with engine.connect() as conn:
        return {f"{table}.{column}": {row[0] for row in conn.exec_driver_sql(
            f"SELECT DISTINCT typeof({column}) FROM {table}")} for table, column in PACKED}


def filled(workspace: Workspace) -> Workspace:
    person = workspace.elders.create(elder("张三"))
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    workspace.assessments.autosave(draft.assessment_id, complete_answers(draft.answers))
    workspace.assessments.finalize(draft.assessment_id)
    return workspace


def test_the_dictionary_never_changes() -> None:
    # Stored values depend on it: a changed file would make every store unreadable.
    data = (resources_dir() / DICTIONARY_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == DICTIONARY_SHA256


def test_round_trip_and_legacy_text() -> None:
    text = json.dumps({"A.2.6": "汉族", "B.1.1": 3}, ensure_ascii=False).encode()
    packed = pack(text)
    assert packed[0] == FORMAT_DICT_1
    assert unpack(packed) == text
    assert unpack(text) == text  # a value written before 0009
    assert unpack(text.decode()) == text


def test_a_damaged_value_is_refused_with_a_store_error() -> None:
    with pytest.raises(StoreError, match="无法解压"):
        unpack(bytes((FORMAT_DICT_1,)) + b"\x28\xb5\x2f\xfd garbage")


def test_a_frame_claiming_a_huge_size_is_refused_before_decompressing() -> None:
    # A zstd frame header announcing 4 GiB of content (single segment, 8-byte size field).
    header = b"\x28\xb5\x2f\xfd" + bytes((0b11100000,)) + struct.pack("<Q", 4 << 30)
    with pytest.raises(StoreError, match="长度无效"):
        unpack(bytes((FORMAT_DICT_1,)) + header + b"\x01\x00\x00")
    assert MAX_UNPACKED < 4 << 30


def test_the_store_keeps_packed_values_and_reads_them_back(workspace: Workspace) -> None:
    filled(workspace)
    types = storage_types(engine_of(workspace))
    assert all(found == {"blob"} for found in types.values()), types
    with engine_of(workspace).connect() as conn:
        raw = conn.exec_driver_sql(
            "SELECT payload FROM change_log WHERE record_type = 'assessment' "
            "ORDER BY seq DESC LIMIT 1").scalar_one()
    text = unpack(raw)
    assert raw[0] == FORMAT_DICT_1
    assert len(raw) < len(text) / 2
    assert json.loads(text)["status"] == "finalized"
    assert workspace.outbox.verify() == []  # the chain hashes the unpacked canonical JSON
    person = workspace.elders.page(RegisterFilter(), 0, 1)[0]
    assert workspace.elders.get(person.elder_id).info["A.2.6"] == "汉族"


def test_migration_0009_converts_an_existing_store_and_back(workspace: Workspace) -> None:
    filled(workspace)
    engine = engine_of(workspace)
    chain_before = [c.hash for c in workspace.outbox.changes_after(0)]
    with writer(engine).begin() as conn:
        command.downgrade(alembic_config(conn), "0007_visits")
    types = storage_types(engine)
    assert types["change_log.payload"] == {"text"}
    assert types["assessments.answers"] == {"text"}
    with writer(engine).begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        assert current_revision(conn) == HEAD_REVISION
    types = storage_types(engine)
    assert all(found == {"blob"} for found in types.values()), types
    assert [c.hash for c in workspace.outbox.changes_after(0)] == chain_before
    assert workspace.outbox.verify() == []
