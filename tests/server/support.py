"""Helpers for tests against real servers: simulated laptops (the server process and its
admin client live in :mod:`server.process`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assessment.sync.client import SyncClient
from assessment.sync.device import DeviceKeys
from assessment.sync.enrolment import enrol_online
from assessment.sync.local_outbox import LocalOutbox
from assessment.sync.profile import SyncProfile


@dataclass
class Laptop:
    """One simulated laptop: keys, outbox and county profile."""

    keys: DeviceKeys
    outbox: LocalOutbox
    profile: SyncProfile

    @classmethod
    def enrol(cls, folder: Path, server_url: str, code: str, label: str = "测试笔记本",
              **kwargs: Any) -> Laptop:
        """Make keys and an outbox in ``folder`` and enrol online."""
        folder.mkdir(parents=True, exist_ok=True)
        keys = DeviceKeys.generate()
        profile = enrol_online(server_url, keys, code, label)
        return cls(keys, LocalOutbox(folder / "outbox.sqlite3", keys.device_id), profile)

    def client(self, url: str | None = None, **kwargs: Any) -> SyncClient:
        """A sync client (caller closes it)."""
        return SyncClient(url or self.profile.server_url, self.keys, self.outbox, **kwargs)

    def close(self) -> None:
        """Close the outbox."""
        self.outbox.close()
