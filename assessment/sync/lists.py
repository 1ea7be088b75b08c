"""Service-list versions the county announced: fetched after a pull and installed.

A pull announces new service-list versions by id, version and hash only (the workspace records
them as county notices); their content is fetched from the county
(``GET /sync/lists/{list}/{version}``, :meth:`assessment.sync.client.SyncClient.fetch_list`)
and installed into the workspace's data folder by :func:`install_announced_lists`. A failed
download leaves the version announced, to be tried again at the next pull.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assessment.records.countynotes import ANNOUNCED
from assessment.records.workspace import Workspace
from assessment.sync.client import SyncError

FetchList = Callable[[str, int], tuple[str, str]]
"""(list id, version) → the list file's text as the county published it, and the county's
signature over it (:mod:`assessment.eligibility.listseal`)."""


@dataclass(frozen=True, slots=True)
class ListInstall:
    """What one round of installation did: ``list@version`` installed, and Chinese problems."""

    installed: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def install_announced_lists(workspace: Workspace, fetch: FetchList) -> ListInstall:
    """Fetch and install every announced list version not installed yet."""
    installed: list[str] = []
    errors: list[str] = []
    for announced in workspace.lists.announced(ANNOUNCED):
        try:
            content, signature = fetch(announced.list_id, announced.version)
        except SyncError as exc:
            errors.append(f"{announced.list_id} 版本 {announced.version}：{exc.message}")
            continue
        status = workspace.lists.install_announced(announced, content, signature)
        if status == "installed":
            installed.append(f"{announced.list_id}@{announced.version}")
        else:
            errors.append(f"{announced.list_id} 版本 {announced.version} 未安装")
    return ListInstall(tuple(installed), tuple(errors))
