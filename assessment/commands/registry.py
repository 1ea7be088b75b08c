"""``yinling registry …``: the elder registry over time, headless (issue 13).

* ``export --out FILE.csv|FILE.xlsx``: every elder with status and roster attributes;
* ``deregister ID_NUMBER --reason 死亡|迁出|登记错误|其他 --date YYYY-MM-DD [--note TEXT]``;
* ``restore ID_NUMBER --why TEXT`` (supervisors);
* ``import FILE --kind KIND --source TEXT --as-of YYYY-MM-DD [--dry-run]``: one JSON object on
  standard output; exit 0 when the import was applied (or the dry run read the file), 1 when
  nothing could be applied;
* ``duplicates [--json]``: pairs of records here that may be one person.

Every subcommand takes ``--data-dir`` and ``--user``; the password comes from
``YINLING_PASSWORD``. Exit codes: 0 done, 1 refused (message on standard error, nothing
written), 3 environment (no workspace, wrong password, unwritable file).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assessment.commands.workspace_args import add_workspace_arguments, open_workspace
from assessment.errors import InputRejected, Problem
from assessment.jsonio import dump_json

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace

KIND_CHOICES = ("dibao", "dibao_edge", "tekun_dispersed", "tekun_centralized", "disability",
                "fp_special", "veteran")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``registry`` subcommand and its actions."""
    parser = subparsers.add_parser(
        "registry", help="老年人名册：注销/恢复、部门名单导入、导出、疑似重复",
        description="老年人名册：注销与恢复在册、民政/残联/卫健/退役军人事务名单导入、名册导出、疑似重复登记。")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    export = actions.add_parser("export", help="导出名册（CSV 或 Excel）")
    export.add_argument("--out", required=True, type=Path, help="输出 .csv 或 .xlsx 文件")
    add_workspace_arguments(export)
    export.set_defaults(handler=run_export)

    dereg = actions.add_parser("deregister", help="注销（死亡、迁出本县、登记错误、其他）")
    dereg.add_argument("id_number", metavar="ID_NUMBER", help="公民身份号码")
    dereg.add_argument("--reason", required=True, help="死亡、迁出、登记错误 或 其他")
    dereg.add_argument("--date", required=True, help="注销日期 YYYY-MM-DD")
    dereg.add_argument("--note", default="", help="说明")
    add_workspace_arguments(dereg)
    dereg.set_defaults(handler=run_deregister)

    restore = actions.add_parser("restore", help="恢复在册（管理员，须说明理由）")
    restore.add_argument("id_number", metavar="ID_NUMBER", help="公民身份号码")
    restore.add_argument("--why", required=True, help="恢复理由")
    add_workspace_arguments(restore)
    restore.set_defaults(handler=run_restore)

    imp = actions.add_parser("import", help="导入部门名单（CSV 或 Excel），输出 JSON 摘要")
    imp.add_argument("file", type=Path, metavar="FILE", help=".csv（UTF-8 或 GBK）或 .xlsx")
    imp.add_argument("--kind", required=True, choices=KIND_CHOICES, help="名单类型")
    imp.add_argument("--source", required=True, help="名单来源，如“县民政局”")
    imp.add_argument("--as-of", required=True, help="名单截止日期 YYYY-MM-DD")
    imp.add_argument("--dry-run", action="store_true", help="只比对并输出摘要，不写入")
    add_workspace_arguments(imp)
    imp.set_defaults(handler=run_import)

    dup = actions.add_parser("duplicates", help="列出疑似重复登记的老人")
    dup.add_argument("--json", action="store_true", help="以 JSON 输出")
    add_workspace_arguments(dup)
    dup.set_defaults(handler=run_duplicates)


def _fail(problems: Sequence[Problem]) -> int:
    for problem in problems:
        print(f"错误：{problem}", file=sys.stderr)
    return 1


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InputRejected([Problem(field, "value",
                                     f"{field} 应为 YYYY-MM-DD 格式的日期：{value}")]) from exc


def _open(args: argparse.Namespace) -> Any:
    from assessment.records.api import StoreError

    try:
        return open_workspace(args)
    except (StoreError, OSError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return None


def _elder_by_number(workspace: Workspace, id_number: str) -> Any:
    from assessment.identity import parse_resident_id

    parsed = parse_resident_id(id_number)
    number = id_number.strip().upper() if isinstance(parsed, Problem) else parsed.number
    profile = workspace.elders.find_by_id_number(number)
    if profile is None:
        raise InputRejected([Problem("ID_NUMBER", "unknown",
                                     f"本机没有公民身份号码为 {number} 的老人")])
    return profile


def run_export(args: argparse.Namespace) -> int:
    """Handler of ``yinling registry export``."""
    from assessment.registry.export import write_export

    if args.out.suffix.lower() not in (".csv", ".xlsx"):
        print("错误：--out 应为 .csv 或 .xlsx 文件", file=sys.stderr)
        return 2
    workspace = _open(args)
    if workspace is None:
        return 3
    try:
        rows = list(workspace.registry.rows())
    finally:
        workspace.close()
    try:
        count = write_export(rows, args.out)
    except OSError as exc:
        print(f"错误：无法写入 {args.out}：{exc.strerror}", file=sys.stderr)
        return 3
    print(f"已导出：{args.out}（{count} 位老人）")
    return 0


def run_deregister(args: argparse.Namespace) -> int:
    """Handler of ``yinling registry deregister``."""
    try:
        on = _day(args.date, "--date")
    except InputRejected as rejected:
        return _fail(rejected.problems)
    workspace = _open(args)
    if workspace is None:
        return 3
    try:
        profile = _elder_by_number(workspace, args.id_number)
        status = workspace.registry.deregister(profile.elder_id, args.reason, on, args.note)
    except InputRejected as rejected:
        return _fail(rejected.problems)
    finally:
        workspace.close()
    print(f"已注销：{profile.name}（{status.label()}，{on.isoformat()} 起）")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """Handler of ``yinling registry restore``."""
    workspace = _open(args)
    if workspace is None:
        return 3
    try:
        profile = _elder_by_number(workspace, args.id_number)
        workspace.registry.restore(profile.elder_id, args.why)
    except InputRejected as rejected:
        return _fail(rejected.problems)
    finally:
        workspace.close()
    print(f"已恢复在册：{profile.name}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Handler of ``yinling registry import``: the summary JSON on standard output."""
    from assessment.usecases.registry_import import check_request, import_office_file

    try:
        as_of = _day(args.as_of, "--as-of")
        check_request(args.kind, args.source, as_of)
    except InputRejected as rejected:
        return _fail(rejected.problems)
    workspace = _open(args)
    if workspace is None:
        return 3
    try:
        summary = import_office_file(workspace, args.file, kind=args.kind, source=args.source,
                                as_of=as_of, dry_run=args.dry_run)
    except InputRejected as rejected:
        return _fail(rejected.problems)
    finally:
        workspace.close()
    print(dump_json(summary))
    if args.dry_run:
        return 0 if summary["rows"] > len(summary["refused"]) else 1
    return 0 if summary["applied"] else 1


def run_duplicates(args: argparse.Namespace) -> int:
    """Handler of ``yinling registry duplicates``."""
    workspace = _open(args)
    if workspace is None:
        return 3
    try:
        pairs = workspace.registry.duplicate_pairs()
    finally:
        workspace.close()
    if args.json:
        print(dump_json([p.to_json() for p in pairs]))
        return 0
    if not pairs:
        print("没有发现疑似重复登记的老人")
        return 0
    for pair in pairs:
        a, b = pair.first, pair.second
        print(f"{pair.to_json()['reason_text']}：{a.name}（{a.id_number or '无号码'}，"
              f"{a.township or ''}{a.village or ''}） ↔ {b.name}（{b.id_number or '无号码'}，"
              f"{b.township or ''}{b.village or ''}）")
    return 0
