"""In-process county (SQLite) and enrolled laptops for bundle and protocol tests."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.wire.changes import Change
from assessment.wire.countylink import CountyLink
from assessment.wire.device import DeviceKeys
from assessment.wire.enrolment import build_request, link_from_response
from server import county
from server.config import Settings
from server.context import ServerContext
from server.enrolment import enrol
from testkit.local_outbox import LocalOutbox
from testkit.synthetic import assessment_payload, elder_payload


@dataclass
class Device:
    """An enrolled laptop of the in-process county."""

    keys: DeviceKeys
    outbox: LocalOutbox
    link: CountyLink

    def record_visits(self, count: int, seed: int = 1) -> list[Change]:
        """``count`` elders, each with a finalized assessment."""
        rng, grader = random.Random(seed), Grader()
        items = []
        for _ in range(count):
            elder_id = new_id()
            items.append(("elder", elder_id, elder_payload(rng)))
            items.append(("assessment", new_id(), assessment_payload(grader, rng, elder_id)))
        return self.outbox.record_many(items)


def enrol_device(ctx: ServerContext, folder: Path, username: str) -> Device:
    """Enrol fresh keys under ``username`` (in-process, as the county CLI would)."""
    keys = DeviceKeys.generate()
    with ctx.engine.begin() as conn:
        code = county.new_enrolment_code(conn, username, "test")
        answer = enrol(conn, build_request(keys, code, "测试"), ctx.keys, "test")
    folder.mkdir(parents=True, exist_ok=True)
    return Device(keys, LocalOutbox(folder / "outbox.sqlite3", keys.device_id),
                  link_from_response(answer))


@pytest.fixture
def county_ctx(tmp_path: Path) -> Iterator[ServerContext]:
    """A county on SQLite with township t1 (users ua, ub) and t2 (user uc)."""
    ctx = ServerContext.open(Settings(data_dir=tmp_path / "county",
                                      max_bundle_bytes=2 * 1024 * 1024))
    with ctx.engine.begin() as conn:
        county.add_township(conn, "t1", "一镇", "test")
        county.add_township(conn, "t2", "二镇", "test")
        county.add_account(conn, "ua", "甲", "t1", "test")
        county.add_account(conn, "ub", "乙", "t1", "test")
        county.add_account(conn, "uc", "丙", "t2", "test")
    yield ctx
    ctx.close()


@pytest.fixture
def device(county_ctx: ServerContext, tmp_path: Path) -> Iterator[Device]:
    """One enrolled laptop (account ua, township t1)."""
    dev = enrol_device(county_ctx, tmp_path / "laptop", "ua")
    yield dev
    dev.outbox.close()
