"""Migration 0002 on a county that already holds data: the ``devices`` table is rebuilt (on
SQLite) without losing a row or a link, foreign keys stay enforced, and the county's own
device (no account, no township) can then be stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from assessment.wire.changes import GENESIS_HASH
from server.db.engine import alembic_config, make_engine, upgrade
from server.db.tables import accounts, devices, received_changes, townships
from server.timeutil import utcnow


def _device(device_id: str, account: int | None, township: int | None) -> dict[str, object]:
    return {"device_id": device_id, "account_id": account, "township_id": township,
            "sign_public_key": f"sign-{device_id}", "box_public_key": "box", "label": "笔记本",
            "enrolled_at": utcnow(), "acked_seq": 1, "acked_hash": GENESIS_HASH, "max_seq": 1}


def _change(device_id: str, seq: int) -> dict[str, object]:
    return {"device_id": device_id, "seq": seq, "record_type": "elder", "record_id": "e1",
            "version": 1, "hlc": 1, "payload": "{}", "prev_hash": GENESIS_HASH, "hash": "h",
            "township_id": 1, "source": "push", "status": "applied", "received_at": utcnow()}


def test_upgrade_keeps_devices_and_their_changes(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url or f"sqlite:///{tmp_path}/c.sqlite3")
    try:
        command.upgrade(alembic_config(engine), "0001")
        with engine.begin() as conn:
            conn.execute(insert(townships).values(id=1, code="t1", name="一镇",
                                                  created_at=utcnow()))
            conn.execute(insert(accounts).values(id=1, username="wang", display_name="王",
                                                 role="assessor", township_id=1,
                                                 created_at=utcnow()))
            conn.execute(insert(devices).values(_device("laptop-1", 1, 1)))
            conn.execute(insert(received_changes).values(_change("laptop-1", 1)))
        upgrade(engine)
        with engine.begin() as conn:
            assert conn.execute(select(devices.c.device_id, devices.c.account_id,
                                       devices.c.township_id)).all() == [("laptop-1", 1, 1)]
            assert conn.execute(select(received_changes.c.device_id)).scalars().all() == \
                ["laptop-1"]
            conn.execute(insert(devices).values(_device("county-0123456789abcdef", None, None)))
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(received_changes).values(_change("no-such-device", 1)))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == \
                ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    finally:
        engine.dispose()
