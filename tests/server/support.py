"""Helpers for tests against real servers: simulated laptops (the server process and its
admin client live in :mod:`testkit.process`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assessment.sync.client import SyncClient
from assessment.sync.enrolment import enrol_online
from assessment.wire.changes import Change, make_change
from assessment.wire.countylink import CountyLink
from assessment.wire.device import DeviceKeys
from testkit.local_outbox import LocalOutbox


@dataclass
class Laptop:
    """One simulated laptop: keys, outbox and county link."""

    keys: DeviceKeys
    outbox: LocalOutbox
    link: CountyLink

    @classmethod
    def enrol(cls, folder: Path, server_url: str, code: str, label: str = "测试笔记本",
              **kwargs: Any) -> Laptop:
        """Make keys and an outbox in ``folder`` and enrol online."""
        folder.mkdir(parents=True, exist_ok=True)
        keys = DeviceKeys.generate()
        link = enrol_online(server_url, keys, code, label)
        return cls(keys, LocalOutbox(folder / "outbox.sqlite3", keys.device_id), link)

    def client(self, url: str | None = None, **kwargs: Any) -> SyncClient:
        """A sync client (caller closes it)."""
        return SyncClient(url or self.link.server_url, self.keys, self.outbox, **kwargs)

    def close(self) -> None:
        """Close the outbox."""
        self.outbox.close()


class Chain:
    """One device's changes, numbered and chained as its change log would write them."""

    def __init__(self, device_id: str) -> None:
        self.device_id = device_id
        self.changes: list[Change] = []

    def add(self, record_type: str, record_id: str, version: int,
            payload: dict[str, Any]) -> Change:
        """Append the next change (its clock one tick after the last)."""
        prev = self.changes[-1].hash if self.changes else "0" * 64
        change = make_change(device_id=self.device_id, seq=len(self.changes) + 1,
                             record_type=record_type, record_id=record_id, version=version,
                             hlc=1000 + len(self.changes), payload=payload, prev_hash=prev)
        self.changes.append(change)
        return change
