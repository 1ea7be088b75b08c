"""The :class:`~assessment.sync.outbox.Outbox` protocol over the real Workspace change log.

The Workspace keeps the outbox (``changes_after``, ``acknowledge``, ``chain_head``); this
adapter adds the one piece of sync bookkeeping that must not itself become a synced change:
the pull cursor, kept in ``sync-state.json`` beside the database. Pulled changes are handed to
the Workspace's ``apply_incoming(changes)`` once it has one; until then pulling is refused
with a clear message while push and bundles work.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from assessment.sync.changes import Change
from assessment.sync.outbox import CountyNotices, SyncState

STATE_FILE = "sync-state.json"


class ChangeLogStore(Protocol):
    """The Workspace methods this adapter uses."""

    device_id: str
    data_dir: Path

    def changes_after(self, after_seq: int = 0, limit: int | None = None) -> list[Change]:
        """Outbox changes above ``after_seq``."""
        ...

    def acknowledge(self, up_to_seq: int) -> int:
        """Mark changes up to ``up_to_seq`` confirmed."""
        ...

    def chain_head(self) -> tuple[int, str, int]:
        """(last seq, last hash, acked seq)."""
        ...


class WorkspaceOutbox:
    """Adapts a Workspace to the sync client and the bundle codec."""

    def __init__(self, workspace: ChangeLogStore) -> None:
        self._ws = workspace
        self._state_path = Path(workspace.data_dir) / STATE_FILE

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self._state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, **values: Any) -> None:
        data = {**self._read(), **values}
        tmp = self._state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self._state_path)

    @property
    def device_id(self) -> str:
        """The workspace's device id."""
        return self._ws.device_id

    def sync_state(self) -> SyncState:
        """From the change log head plus the stored pull cursor."""
        last_seq, _, acked = self._ws.chain_head()
        return SyncState(self._ws.device_id, last_seq, acked,
                         int(self._read().get("pull_cursor", 0)))

    def pending_changes(self, after_seq: int, limit: int) -> Sequence[Change]:
        """Own changes after ``after_seq``."""
        return self._ws.changes_after(after_seq, limit)

    def mark_acked(self, up_to_seq: int) -> None:
        """Acknowledge (never backwards, never beyond the log)."""
        last_seq, _, acked = self._ws.chain_head()
        target = min(up_to_seq, last_seq)
        if target > acked:
            self._ws.acknowledge(target)

    def apply_incoming(self, changes: Sequence[Change], cursor: int) -> None:
        """Hand pulled changes to the Workspace, then store the cursor."""
        apply = getattr(self._ws, "apply_incoming", None)
        if changes:
            if apply is None:
                raise NotImplementedError("本机数据库尚不支持接收其他设备的变更（待实现）")
            apply(changes)
        self._write(pull_cursor=cursor)

    def note_county(self, notices: CountyNotices) -> None:
        """Keep the county's list versions and revocations beside the cursor."""
        self._write(list_versions=[[v.list_id, v.version, v.sha256]
                                   for v in notices.list_versions],
                    revoked_devices=list(notices.revoked_devices),
                    revoked_accounts=list(notices.revoked_accounts))
