"""``yinling lists``: install a new service-list version, or show the installed versions.

``yinling lists install FILE --data-dir D --user U`` (a supervisor; password from
``$YINLING_PASSWORD`` or asked) validates the file (a bad file is refused with the file, the
item and the reason; exit 1) and installs it into the workspace beside the earlier versions,
which stay readable. Only a list signed by this laptop's county is accepted on an enrolled
laptop; a laptop with no county takes a plain list file, sealed with the supervisor's own key
and marked 本机安装（未经县级签发）. Installed lists are checked against their seals whenever
they are loaded. ``yinling lists show [--as-of D]`` lists every installed version and marks the one
in force on the date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from assessment.commands.match import add_lists_dir
from assessment.commands.workspace_args import add_workspace_arguments, open_workspace
from assessment.eligibility import load_lists
from assessment.eligibility.listseal import LOCAL_MARK
from assessment.eligibility.profile import parse_date
from assessment.eligibility.registry import bundled_lists_dir
from assessment.errors import FormFileError, InputRejected


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``lists`` subcommand with ``install`` and ``show``."""
    parser = subparsers.add_parser("lists", help="安装或查看基本养老服务清单版本")
    actions = parser.add_subparsers(dest="lists_action", metavar="ACTION", required=True)
    install = actions.add_parser("install", help="校验并安装新的清单版本文件（须管理员账户）")
    install.add_argument("file", type=Path, help="清单文件（县级签发的签名清单，或 YAML）")
    add_workspace_arguments(install)
    install.set_defaults(handler=run_install)
    show = actions.add_parser("show", help="列出已安装的清单版本")
    show.add_argument("--as-of", default=None, help="标出此日期（YYYY-MM-DD，默认今天）施行的版本")
    add_lists_dir(show)
    show.set_defaults(handler=run_show)


def run_install(args: argparse.Namespace) -> int:
    """Handler of ``yinling lists install``."""
    from assessment.records.api import StoreError

    try:
        workspace = open_workspace(args)
    except StoreError as exc:  # SignInFailed too
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    try:
        version = workspace.lists.install(args.file)
    except FormFileError as exc:
        print(f"错误：清单文件被拒绝：{exc}", file=sys.stderr)
        return 1
    except InputRejected as exc:
        for problem in exc.problems:
            print(f"错误：{problem}", file=sys.stderr)
        return 1
    finally:
        workspace.close()
    mark = f"，{LOCAL_MARK}" if version.local else ""
    print(f"已安装：{version.ref}（{version.title}，{len(version.items)} 项{mark}）")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Handler of ``yinling lists show``."""
    try:
        as_of = parse_date(args.as_of) if args.as_of else dt.date.today()
    except ValueError as exc:
        print(f"错误：--as-of：评估日期{exc}", file=sys.stderr)
        return 1
    try:
        registry = load_lists(args.lists_dir)
    except FormFileError as exc:
        print(f"错误：服务清单文件无效：{exc}", file=sys.stderr)
        return 3
    bundled = bundled_lists_dir().resolve()
    for list_id in [v.list_id for v in registry.in_force(as_of)]:
        current = registry.version_on(list_id, as_of)
        for version in registry.versions_of(list_id):
            start = version.period.start.isoformat() if version.period.start else "不限"
            end = version.period.end.isoformat() if version.period.end else "长期"
            marks = [f"{as_of.isoformat()} 施行"] if version is current else []
            if version.provisional:
                marks.append("暂行")
            origin = "内置" if Path(version.file).resolve().parent == bundled else (
                LOCAL_MARK if version.local else "县级签发")
            print(
                f"{version.ref}\t{version.title}\t{start} 至 {end}\t{len(version.items)} 项\t"
                f"{origin}\t{'、'.join(marks)}".rstrip()
            )
    return 0
