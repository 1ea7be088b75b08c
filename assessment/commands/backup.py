"""``yinling backup create|inspect|restore``: 备份与恢复 from the command line, through the same
pipeline as the app (:mod:`assessment.usecases.backup`).

``create --to DIR`` backs the store up into a folder (a USB stick) while it may be in use;
``inspect FILE`` checks a backup and prints what it holds; ``restore FILE`` checks it, then
replaces the store in ``--data-dir`` (the replaced files are kept in ``replaced-<time>/``).
Inspect and restore unlock the backup with ``--user`` and the password (``YINLING_PASSWORD``
or asked). Exit codes: 0 done, 1 refused (nothing changed), 3 environment error.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from assessment.commands.workspace_args import add_workspace_arguments, open_workspace
from assessment.errors import InputRejected


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``backup`` with its three actions."""
    parser = subparsers.add_parser("backup", help="备份与恢复（加密备份文件）",
                                   description="备份本机数据（与数据库同样加密）、检查备份、从备份恢复。")
    actions = parser.add_subparsers(dest="backup_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="备份到文件夹或U盘")
    create.add_argument("--to", required=True, type=Path, help="备份文件保存到的文件夹")
    add_workspace_arguments(create)
    create.set_defaults(handler=run_create)
    inspect = actions.add_parser("inspect", help="检查备份文件并显示其内容")
    inspect.add_argument("file", type=Path, help="备份文件（.ylbak）")
    add_workspace_arguments(inspect)
    inspect.set_defaults(handler=run_inspect)
    restore = actions.add_parser(
        "restore", help="从备份恢复（替换本机数据，原数据保留在 replaced-… 文件夹）")
    restore.add_argument("file", type=Path, help="备份文件（.ylbak）")
    add_workspace_arguments(restore)
    restore.set_defaults(handler=run_restore)


def _fail(message: str, code: int) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return code


def run_create(args: argparse.Namespace) -> int:
    """``yinling backup create --to DIR``."""
    from assessment.records.api import StoreError
    from assessment.usecases.backup import backup_job
    from assessment.usecases.progress import CancelToken

    try:
        workspace = open_workspace(args)
    except (StoreError, OSError) as exc:
        return _fail(str(exc), 3)
    try:
        path = backup_job(workspace, args.to)(lambda done, total, text="": None, CancelToken())
    except OSError as exc:
        return _fail(f"无法写入 {args.to}：{exc.strerror or exc}", 3)
    finally:
        workspace.close()
    print(f"已备份：{path}")
    return 0


def _credentials(args: argparse.Namespace) -> tuple[Path, str, str]:
    from assessment.records.datadir import default_data_dir

    user = args.user or os.environ.get("YINLING_USER")
    if not user:
        raise InputRejected([])
    password = os.environ.get("YINLING_PASSWORD")
    if password is None:
        password = getpass.getpass("密码：")
    return Path(args.data_dir or default_data_dir()), user, password


def _checked(args: argparse.Namespace, restore: bool) -> int:
    from assessment.records.api import SignInFailed, StoreError
    from assessment.usecases.backup import inspect
    from assessment.usecases.backup import restore as restore_file

    try:
        data_dir, user, password = _credentials(args)
    except InputRejected:
        return _fail("请用 --user 或环境变量 YINLING_USER 指定账户", 1)
    except EOFError:
        return _fail("未输入密码", 3)
    try:
        if restore:
            summary, aside = restore_file(args.file, data_dir, user, password)
        else:
            summary, aside = inspect(args.file, user, password), None
    except InputRejected as exc:
        return _fail("；".join(p.message for p in exc.problems), 1)
    except SignInFailed as exc:
        return _fail(str(exc), 1)
    except (StoreError, OSError) as exc:
        return _fail(str(exc), 3)
    for line in summary.lines():
        print(line)
    if restore:
        print(f"已从备份恢复到 {data_dir}" + (f"；原有数据保留在 {aside}" if aside else ""))
    return 0


def run_inspect(args: argparse.Namespace) -> int:
    """``yinling backup inspect FILE``."""
    return _checked(args, restore=False)


def run_restore(args: argparse.Namespace) -> int:
    """``yinling backup restore FILE``."""
    return _checked(args, restore=True)
