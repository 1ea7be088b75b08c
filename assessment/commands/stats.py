"""``yinling stats --out FILE.xlsx [--from D] [--to D] [--as-of D]``: statistics over the
workspace (grades, age and sex, service-item eligibility, assessments in the period,
re-assessments due) per township and village, exported to Excel with Chinese headers."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from assessment.commands.workspace_args import add_workspace_arguments, open_workspace


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``stats`` subcommand."""
    parser = subparsers.add_parser(
        "stats", help="统计报表（按乡镇、村导出 Excel）",
        description=("按乡镇和村统计能力等级、年龄性别、服务项目符合人数、期间评估与复评到期，"
                     "导出 Excel。"))
    parser.add_argument("--out", required=True, type=Path, help="输出 .xlsx 文件")
    parser.add_argument("--from", dest="start", default=None, help="期间起始日 YYYY-MM-DD")
    parser.add_argument("--to", dest="end", default=None, help="期间截止日 YYYY-MM-DD")
    parser.add_argument("--as-of", default=None, help="统计日期 YYYY-MM-DD（默认今天）")
    parser.add_argument("--no-eligibility", action="store_true", help="不统计服务项目")
    add_workspace_arguments(parser)
    parser.set_defaults(handler=run)


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{name} 应为 YYYY-MM-DD 格式的日期：{value}") from exc


def run(args: argparse.Namespace) -> int:
    """Handler of ``yinling stats``."""
    from assessment.records.api import StoreError
    from assessment.usecases.statistics import export_statistics, workspace_statistics

    if args.out.suffix.lower() != ".xlsx":
        print("错误：输出文件应为 .xlsx", file=sys.stderr)
        return 2
    try:
        start, end = _day(args.start, "--from"), _day(args.end, "--to")
        as_of = _day(args.as_of, "--as-of") or date.today()
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    if start and end and start > end:
        print("错误：--from 晚于 --to", file=sys.stderr)
        return 1
    try:
        workspace = open_workspace(args)
    except (StoreError, OSError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 3
    try:
        stats = workspace_statistics(workspace, as_of=as_of, start=start, end=end,
                                     with_eligibility=not args.no_eligibility)
    finally:
        workspace.close()
    try:
        export_statistics(stats, args.out)
    except OSError as exc:
        print(f"错误：无法写入 {args.out}：{exc.strerror}", file=sys.stderr)
        return 3
    total = stats.grades.iloc[-1]["合计"]
    print(f"已导出：{args.out}（老年人 {total} 人，{len(stats.grades) - 1} 个村（社区））")
    return 0
