"""Opening the laptop's workspace from the command line (shared by document commands).

``--data-dir`` (default: the data folder, or ``$YINLING_DATA_DIR``), ``--user`` (default
``$YINLING_USER``) and the password from ``$YINLING_PASSWORD`` or asked for on the terminal.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_workspace_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--data-dir`` and ``--user``."""
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="数据目录（默认：本机数据目录或环境变量 YINLING_DATA_DIR）")
    parser.add_argument("--user", default=None,
                        help=("登录账户（默认：环境变量 YINLING_USER）；"
                              "密码取自 YINLING_PASSWORD 或提示输入"))


def open_workspace(args: argparse.Namespace) -> Any:
    """Sign in and return the open :class:`~assessment.records.workspace.Workspace`.

    Raises :class:`~assessment.records.api.StoreError` (or ``SignInFailed``) with a Chinese
    message when the folder holds no workspace or the password is wrong.
    """
    from assessment.records.api import StoreError
    from assessment.records.datadir import default_data_dir, workspace_exists
    from assessment.records.workspace import Workspace

    data_dir = args.data_dir or default_data_dir()
    if not workspace_exists(data_dir):
        raise StoreError(f"数据目录 {data_dir} 中没有工作区")
    user = args.user or os.environ.get("YINLING_USER") or _ask("账户：", "--user 或环境变量 "
                                                                 "YINLING_USER", input)
    password = os.environ.get("YINLING_PASSWORD")
    if password is None:
        password = _ask("密码：", "环境变量 YINLING_PASSWORD", getpass.getpass)
    workspace = Workspace.open(data_dir, user, password)
    if workspace.loose_paths:
        from assessment.privatefiles import loose_warning

        print(loose_warning(workspace.loose_paths), file=sys.stderr)
    return workspace


def _ask(prompt: str, instead: str, read: Callable[[str], str]) -> str:
    """Ask on the terminal; without one (a script, a scheduled task) say what to set."""
    from assessment.records.api import StoreError

    if not sys.stdin.isatty():
        raise StoreError(f"没有可供输入的终端：请用 {instead} 给出{prompt.rstrip('：')}")
    try:
        return read(prompt)
    except EOFError as exc:
        raise StoreError(f"未输入{prompt.rstrip('：')}") from exc
