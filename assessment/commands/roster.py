"""``yinling roster``: export per-item rosters (eligible, and undetermined with what is missing).

``yinling roster --input profiles.json|.csv --as-of 2026-11-22 --out rosters.xlsx|.csv
[--item N02 ...]`` matches every profile on one as-of date (default: today) in one vectorized
pass and writes one roster per item with Chinese headers: Excel gets a sheet per item and a
说明 sheet; CSV gets all items in one UTF-8 (BOM) file. Invalid input: exit 1, nothing written.

Without ``--input`` it makes the 乡镇服务名单 of the workspace (signing in as every workspace
command: ``--data-dir``, ``--user``, ``$YINLING_PASSWORD``): every elder of the registry, matched
against the workspace's lists, by the same pipeline as the desktop window
(:mod:`assessment.usecases.rosters`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import pandas as pd

from assessment.commands.match import add_lists_dir
from assessment.commands.workspace_args import add_workspace_arguments, open_workspace
from assessment.eligibility import load_lists, match_frame, profiles_to_frame
from assessment.eligibility.profile import parse_date
from assessment.eligibility.profilefiles import read_profiles
from assessment.eligibility.rosters import RESULT, roster_tables, write_roster
from assessment.errors import FormFileError, InputRejected, Problem


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``roster`` subcommand."""
    parser = subparsers.add_parser(
        "roster",
        help="导出各服务项目的名单（符合、待核实）",
        description="按评估日期匹配全部档案，导出每个清单条目的符合与待核实名单（Excel 或 CSV）。",
    )
    parser.add_argument("--input", type=Path, default=None,
                        help="档案文件：.json 或 .csv（省略时导出本机工作区的乡镇服务名单）")
    parser.add_argument("--as-of", default=None, help="评估日期 YYYY-MM-DD（默认今天）")
    parser.add_argument("--out", required=True, type=Path, help="输出文件：.xlsx 或 .csv")
    parser.add_argument("--item", action="append", default=None, help="只导出此条目（可重复）")
    add_lists_dir(parser)
    add_workspace_arguments(parser)
    parser.set_defaults(handler=run)


def _as_of(value: str | None) -> dt.date:
    try:
        return parse_date(value) if value else dt.date.today()
    except ValueError as exc:
        raise InputRejected([Problem("--as-of", "date", f"评估日期{exc}")]) from exc


def _check_out(path: Path) -> None:
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise InputRejected([Problem("--out", "suffix", "输出文件应为 .xlsx 或 .csv")])


def _report(tables: dict[str, pd.DataFrame], out: Path) -> None:
    for item_id, table in tables.items():
        counts = table[RESULT].value_counts()
        print(f"{item_id}：符合 {counts.get('符合', 0)} 人，待核实 {counts.get('待核实', 0)} 人")
    print(f"已导出：{out}")


def run(args: argparse.Namespace) -> int:
    """Handler of ``yinling roster``."""
    if args.input is None:
        return run_township(args)
    try:
        registry = load_lists(args.lists_dir)
    except FormFileError as exc:
        print(f"错误：服务清单文件无效：{exc}", file=sys.stderr)
        return 3
    try:
        _check_out(args.out)
        as_of = _as_of(args.as_of)
        profiles = read_profiles(args.input, registry.vocabulary)
        frame = profiles_to_frame(profiles, registry.vocabulary)
        batch = match_frame(frame, as_of, registry)
        known = [c.plan.item.id for c in batch.items]
        unknown = [i for i in args.item or [] if i not in known]
        if unknown:
            message = f"清单中没有条目 {'、'.join(unknown)}（可选：{'、'.join(known)}）"
            raise InputRejected([Problem("--item", "item", message)])
        tables = roster_tables(batch, frame, args.item)
    except InputRejected as exc:
        for problem in exc.problems:
            print(f"错误：{problem}", file=sys.stderr)
        return 1
    try:
        write_roster(batch, tables, args.out)
    except OSError as exc:
        print(f"错误：无法写入 {args.out}：{exc.strerror}", file=sys.stderr)
        return 3
    _report(tables, args.out)
    return 0


def run_township(args: argparse.Namespace) -> int:
    """``yinling roster`` without ``--input``: the 乡镇服务名单 of the workspace."""
    from assessment.documents.sources import workspace_lists
    from assessment.records.api import StoreError
    from assessment.usecases.rosters import export_rosters, township_rosters

    try:
        if args.lists_dir is not None:
            message = "乡镇服务名单使用工作区中安装的清单，不能另给 --lists-dir"
            raise InputRejected([Problem("--lists-dir", "workspace", message)])
        _check_out(args.out)
        as_of = _as_of(args.as_of)
    except InputRejected as exc:
        for problem in exc.problems:
            print(f"错误：{problem}", file=sys.stderr)
        return 1
    try:
        workspace = open_workspace(args)
    except (StoreError, OSError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 3
    try:
        try:
            registry = workspace_lists(workspace)
        except FormFileError as exc:
            print(f"错误：服务清单文件无效：{exc}", file=sys.stderr)
            return 3
        rosters = township_rosters(workspace, registry, as_of, items=args.item)
    except InputRejected as exc:
        for problem in exc.problems:
            print(f"错误：{problem}", file=sys.stderr)
        return 1
    finally:
        workspace.close()
    try:
        export_rosters(rosters, args.out)
    except OSError as exc:
        print(f"错误：无法写入 {args.out}：{exc.strerror}", file=sys.stderr)
        return 3
    if rosters.skipped:
        shown = "、".join(rosters.skipped[:10])
        more = f"等 {len(rosters.skipped)} 人" if len(rosters.skipped) > 10 else ""
        print(f"注意：{shown}{more}的档案属性无效，未列入名单", file=sys.stderr)
    _report(rosters.tables, args.out)
    return 0
