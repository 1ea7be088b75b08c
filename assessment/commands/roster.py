"""``yinling roster``: export per-item rosters (eligible, and undetermined with what is missing).

``yinling roster --input profiles.json|.csv --as-of 2026-11-22 --out rosters.xlsx|.csv
[--item N02 ...]`` matches every profile on one as-of date (default: today) in one vectorized
pass and writes one roster per item with Chinese headers: Excel gets a sheet per item and a
说明 sheet; CSV gets all items in one UTF-8 (BOM) file. Invalid input: exit 1, nothing written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from assessment.commands.match import add_lists_dir
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
    parser.add_argument("--input", required=True, type=Path, help="档案文件：.json 或 .csv")
    parser.add_argument("--as-of", default=None, help="评估日期 YYYY-MM-DD（默认今天）")
    parser.add_argument("--out", required=True, type=Path, help="输出文件：.xlsx 或 .csv")
    parser.add_argument("--item", action="append", default=None, help="只导出此条目（可重复）")
    add_lists_dir(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``yinling roster``."""
    try:
        registry = load_lists(args.lists_dir)
    except FormFileError as exc:
        print(f"错误：服务清单文件无效：{exc}", file=sys.stderr)
        return 3
    try:
        if args.out.suffix.lower() not in (".xlsx", ".csv"):
            raise InputRejected([Problem("--out", "suffix", "输出文件应为 .xlsx 或 .csv")])
        try:
            as_of = parse_date(args.as_of) if args.as_of else dt.date.today()
        except ValueError as exc:
            raise InputRejected([Problem("--as-of", "date", f"评估日期{exc}")]) from exc
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
    for item_id, table in tables.items():
        counts = table[RESULT].value_counts()
        print(f"{item_id}：符合 {counts.get('符合', 0)} 人，待核实 {counts.get('待核实', 0)} 人")
    print(f"已导出：{args.out}")
    return 0
