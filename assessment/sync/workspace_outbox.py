"""The Workspace as the sync client's outbox, plus the one step that needs the network.

:class:`~assessment.records.workspace.Workspace` implements the
:class:`~assessment.sync.outbox.Outbox` protocol itself (its change log, the pull cursor and the
applied incoming changes all live in the encrypted database). A pull announces new
service-list versions by id, version and hash only; their content is fetched from the county
(``GET /sync/lists/{list}/{version}``) and installed into the workspace's data folder.
:class:`WorkspaceOutbox` adds that step to ``note_county``: give it a ``fetch_list`` callable
(normally :func:`list_fetcher` over the :class:`~assessment.sync.client.SyncClient`) and every
announced version not yet installed is fetched, checked and installed after the pull. A failed
download leaves the version announced, to be tried again at the next pull.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assessment.records.countynotes import ANNOUNCED
from assessment.records.workspace import Workspace
from assessment.sync.changes import Change
from assessment.sync.client import SyncClient, SyncError
from assessment.sync.outbox import CountyNotices, SyncState

FetchList = Callable[[str, int], str]
"""(list id, version) → the list file's text as the county published it."""


def list_fetcher(client: SyncClient) -> FetchList:
    """Fetch published list content through a signed request of ``client``."""
    def fetch(list_id: str, version: int) -> str:
        answer = client.request("GET", f"/sync/lists/{list_id}/{version}")
        content = answer.get("content")
        if not isinstance(content, str):
            raise SyncError("县级服务器发来的清单内容无效")
        return content

    return fetch


class WorkspaceOutbox:
    """The Workspace's own Outbox methods, with service-list installation after a pull."""

    def __init__(self, workspace: Workspace, fetch_list: FetchList | None = None) -> None:
        self._ws = workspace
        self.fetch_list = fetch_list
        self.installed: list[str] = []
        self.list_errors: list[str] = []

    @property
    def device_id(self) -> str:
        """The workspace's device id (the enrolled sync device id)."""
        return self._ws.device_id

    def sync_state(self) -> SyncState:
        """See :meth:`Workspace.sync_state`."""
        return self._ws.sync_state()

    def pending_changes(self, after_seq: int, limit: int) -> Sequence[Change]:
        """See :meth:`Workspace.pending_changes`."""
        return self._ws.pending_changes(after_seq, limit)

    def mark_acked(self, up_to_seq: int) -> None:
        """See :meth:`Workspace.mark_acked`."""
        self._ws.mark_acked(up_to_seq)

    def apply_incoming(self, changes: Sequence[Change], cursor: int) -> None:
        """See :meth:`Workspace.apply_incoming`."""
        self._ws.apply_incoming(changes, cursor)

    def note_county(self, notices: CountyNotices) -> None:
        """Record the notices, then fetch and install announced list versions."""
        self._ws.note_county(notices)
        if self.fetch_list is None:
            return
        for announced in self._ws.county_lists(ANNOUNCED):
            try:
                content = self.fetch_list(announced.list_id, announced.version)
            except SyncError as exc:
                self.list_errors.append(f"{announced.list_id} 版本 {announced.version}："
                                        f"{exc.message}")
                continue
            status = self._ws.install_county_list(announced, content)
            if status == "installed":
                self.installed.append(f"{announced.list_id}@{announced.version}")
            else:
                self.list_errors.append(f"{announced.list_id} 版本 {announced.version} 未安装")
