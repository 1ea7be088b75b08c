"""Where the client meets the store: the data folder, the demo workspace, signing in.

The client works on :class:`assessment.records.workspace.Workspace`; this module names the
concrete calls that open one, so the rest of ``app`` never imports the implementation. The
store's modules (SQLAlchemy, SQLCipher, migrations) are imported on first use, so that the
sign-in window appears before they are loaded (:func:`preload` loads them meanwhile).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.shell.sign_in import Opener
from assessment.records.api import StoreError
from assessment.records.datadir import default_data_dir, keyring_path, workspace_exists

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace


def data_dir_from(option: Path | None) -> Path:
    """The data folder: ``--data-dir``, else ``YINLING_DATA_DIR``, else the user data dir."""
    folder = option if option is not None else default_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# The core modules behind the main window (the store, the pipelines its menus start, pandas,
# httpx, reportlab through them). Imported on a background thread while the sign-in window
# shows; the windows' own Qt modules are imported afterwards on the GUI thread, cheaply. A test
# checks that nothing heavy is left for the GUI thread.
PRELOADED = (
    "assessment.records.workspace",
    "assessment.records.demo",
    "assessment.usecases.backup",
    "assessment.usecases.visits",
    "assessment.usecases.sync_now",
    "assessment.usecases.rosters",
    "assessment.usecases.registry_import",
    "assessment.documents.statistics",
    "assessment.documents.visit_sheet",
    "assessment.eligibility.batch",
    "assessment.registry.export",
    "assessment.sync.client",
    "assessment.sync.enrolment",
    "assessment.wire.bundle",
    "assessment.wire.receipt",
)


def preload() -> None:
    """Import the core modules the main window needs (run in the background while the
    sign-in window shows)."""
    for name in PRELOADED:
        importlib.import_module(name)
    from sqlalchemy.orm import configure_mappers

    from assessment.forms import default_form

    default_form()  # parsed once per process: opening the store then finds it loaded
    configure_mappers()  # the ORM's first query would otherwise do it, after Enter
    from assessment.records.packing import pack, unpack

    unpack(pack(b"{}"))  # the store's compression dictionary, loaded and prepared


def ensure_demo(data_dir: Path, progress: Callable[[int, int], None] | None = None,
                elders: int | None = None) -> bool:
    """Create the demo township when ``data_dir`` holds no workspace; True when created."""
    if workspace_exists(data_dir):
        return False
    from assessment.records import demo  # heavy: first run only

    demo.create_demo_workspace(data_dir, elders=elders or demo.DEFAULT_ELDERS,
                               progress=progress)
    return True


def demo_hint(data_dir: Path) -> str:
    """The line on the sign-in window naming the demo accounts, while they still work."""
    from assessment.records import demo  # heavy: loaded after the window shows
    from assessment.records.keyring import Keyring

    username = demo.DEMO_ASSESSORS[0]
    try:
        Keyring.load(keyring_path(data_dir)).unlock(username, demo.DEMO_PASSWORD)
    except (StoreError, ValueError):
        return ""
    return (f"演示账号：{username}、{demo.DEMO_ASSESSORS[1]}（评估员），{demo.DEMO_SUPERVISOR}"
            f"（管理员）\n密码：{demo.DEMO_PASSWORD}（演示数据均为虚构）")


def opener_for(data_dir: Path) -> Opener:
    """A function that signs in to the workspace in ``data_dir``."""
    def open_workspace(username: str, password: str) -> Workspace:
        from assessment.records.workspace import Workspace  # heavy: see the module doc

        return Workspace.open(data_dir, username, password)

    return open_workspace
