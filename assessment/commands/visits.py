"""``yinling visits``: 探访关爱 from the command line, over the same pipelines as the app.

* ``due [--village V] [--as-of D] [--out F.pdf|F.xlsx]``: the plan per village — due this
  period, overdue, never visited — printed, or written as the printable sheet or a workbook;
* ``stats --month YYYY-MM [--out F.xlsx]``: the monthly visit rate per village, township and
  in total, overdue counts, open and closed referrals;
* ``record --elder ID FILE``: append a visit (JSON, ``-`` for standard input);
* ``referrals [--open]`` and ``close-referral ID --outcome TEXT [--on D]``;
* ``plan show`` / ``plan install FILE`` (supervisors only).

Bad input is refused whole with every field named (exit 1); an unusable workspace exits 3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assessment.commands.workspace_args import add_workspace_arguments, open_workspace
from assessment.settings import FONT_PATH

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``visits`` subcommand and its actions."""
    parser = subparsers.add_parser("visits", help="探访关爱：探访计划、探访记录与月探访率")
    actions = parser.add_subparsers(dest="visits_action", metavar="ACTION", required=True)
    due = actions.add_parser("due", help="按村列出应探访、逾期和从未探访的老人")
    due.add_argument("--village", default=None, help="只列此村（社区）")
    due.add_argument("--as-of", default=None, help="日期 YYYY-MM-DD（默认今天）")
    due.add_argument("--out", type=Path, default=None, help="输出 .pdf（探访表）或 .xlsx")
    due.set_defaults(handler=_run(run_due))
    stats = actions.add_parser("stats", help="月探访率（按村、乡镇、合计）、逾期与转介")
    stats.add_argument("--month", required=True, help="月份 YYYY-MM")
    stats.add_argument("--out", type=Path, default=None, help="输出 .xlsx")
    stats.set_defaults(handler=_run(run_stats))
    record = actions.add_parser("record", help="记录一次探访（JSON）")
    record.add_argument("--elder", required=True, help="老人编号或公民身份号码")
    record.add_argument("file", help="JSON 文件；- 表示标准输入")
    record.set_defaults(handler=_run(run_record))
    referrals = actions.add_parser("referrals", help="列出转介及办理情况")
    referrals.add_argument("--open", action="store_true", help="只列未办结的")
    referrals.set_defaults(handler=_run(run_referrals))
    close = actions.add_parser("close-referral", help="办结一项转介")
    close.add_argument("referral_id")
    close.add_argument("--outcome", required=True, help="办理结果")
    close.add_argument("--on", default=None, help="办结日期 YYYY-MM-DD（默认今天）")
    close.set_defaults(handler=_run(run_close))
    plan = actions.add_parser("plan", help="查看或安装探访计划版本")
    plan_actions = plan.add_subparsers(dest="plan_action", metavar="ACTION", required=True)
    show = plan_actions.add_parser("show", help="显示施行中的探访计划")
    show.set_defaults(handler=_run(run_plan_show))
    install = plan_actions.add_parser("install", help="校验并安装新的探访计划版本（仅管理员）")
    install.add_argument("file", type=Path)
    install.set_defaults(handler=_run(run_plan_install))
    for sub in (due, stats, record, referrals, close, show, install):
        add_workspace_arguments(sub)


def _day(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _Refused(f"{name} 应为 YYYY-MM-DD 格式的日期：{value}") from exc


class _Refused(Exception):
    """Bad command-line input (exit 1)."""


def _run(action: Callable[[argparse.Namespace, Any], int]
         ) -> Callable[[argparse.Namespace], int]:
    """Open the workspace, run ``action``, map errors to messages and exit codes."""
    def handler(args: argparse.Namespace) -> int:
        from assessment.errors import FormFileError, InputRejected
        from assessment.records.api import RecordNotFound, StoreError

        try:
            workspace = open_workspace(args)
        except (StoreError, OSError) as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 3
        try:
            return action(args, workspace)
        except InputRejected as exc:
            for problem in exc.problems:
                print(f"错误：{problem}", file=sys.stderr)
            return 1
        except (_Refused, ValueError) as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
        except RecordNotFound as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
        except FormFileError as exc:
            print(f"错误：探访计划文件无效：{exc}", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"错误：无法写入：{exc}", file=sys.stderr)
            return 3
        finally:
            workspace.close()
    return handler


def run_due(args: argparse.Namespace, workspace: Workspace) -> int:
    """Handler of ``yinling visits due``."""
    from assessment.usecases.visits import export_visit_plan, visit_plan
    from assessment.visits.measure import due_frame

    as_of = _day(args.as_of, "--as-of")
    if args.out is not None and args.out.suffix.lower() not in (".pdf", ".xlsx"):
        raise _Refused("--out 应为 .pdf 或 .xlsx 文件")
    if args.village is not None and args.village not in workspace.elders.villages():
        raise _Refused(f"没有名为“{args.village}”的村（社区）")
    result = visit_plan(workspace, as_of, village=args.village)
    counts = result.counts()
    summary = (f"{result.as_of.isoformat()} 探访计划 {result.plan.ref}："
               f"应探访 {len(result.rows)} 人，本期已探访 {counts['done']}，"
               f"待探访 {counts['due']}，逾期 {counts['overdue']}，"
               f"从未探访 {counts['never']}")
    if args.out is not None:
        export_visit_plan(result, args.out, font_path=workspace.settings.get(FONT_PATH.key))
        print(f"已导出：{args.out}（{summary}）")
        return 0
    frame = due_frame([r for r in result.rows if r.status != "done"])
    print(summary)
    if len(frame):
        print(frame.to_string(index=False))
    return 0


def run_stats(args: argparse.Namespace, workspace: Workspace) -> int:
    """Handler of ``yinling visits stats``."""
    from assessment.usecases.visits import export_visit_measure, visit_measure

    if args.out is not None and args.out.suffix.lower() != ".xlsx":
        raise _Refused("--out 应为 .xlsx 文件")
    table = visit_measure(workspace, args.month)
    total = table.iloc[-1]
    rate = total["月探访率（%）"]
    shown = "—" if rate is None or rate != rate else f"{rate:.1f}%"
    line = (f"{args.month} 月探访率 {shown}（应探访 {total['应探访人数']} 人，已探访 "
            f"{total['本月已探访人数']} 人；逾期 {total['逾期未探访']}，"
            f"从未探访 {total['从未探访']}；"
            f"转介未办结 {total['转介未办结']}，已办结 {total['转介已办结']}）")
    basis = f"口径：{table.attrs.get('basis', '')}"
    if args.out is not None:
        export_visit_measure(table, args.out)
        print(f"已导出：{args.out}（{line}）")
        print(basis)
        return 0
    print(line)
    print(table.to_string(index=False))
    print(basis)
    return 0


def run_record(args: argparse.Namespace, workspace: Workspace) -> int:
    """Handler of ``yinling visits record``."""
    from assessment.inputreader import read_json
    from assessment.records.api import RecordNotFound

    data = read_json(args.file)
    elder_id = args.elder
    found = workspace.elders.find_by_id_number(args.elder) if len(args.elder) == 18 else None
    if found is not None:
        elder_id = found.elder_id
    try:
        workspace.elders.get(elder_id)
    except RecordNotFound as exc:
        raise _Refused(f"--elder：找不到老人“{args.elder}”") from exc
    visit = workspace.visits.record(elder_id, data)
    print(f"已记录探访：{visit.visit_id}（{visit.visit_date.isoformat()}，{visit.method}，"
          f"分级 {visit.tier or '—'}）")
    return 0


def run_referrals(args: argparse.Namespace, workspace: Workspace) -> int:
    """Handler of ``yinling visits referrals``."""
    for ref in workspace.visits.referrals(status="open" if args.open else None):
        state = "未办结" if ref.status == "open" else f"已办结 {ref.closed_on}：{ref.outcome}"
        print(f"{ref.referral_id}\t{ref.opened_on}\t{ref.target}\t{ref.note}\t{state}")
    return 0


def run_close(args: argparse.Namespace, workspace: Workspace) -> int:
    """Handler of ``yinling visits close-referral``."""
    ref = workspace.visits.close_referral(args.referral_id, args.outcome,
                                          _day(args.on, "--on"))
    print(f"已办结：{ref.referral_id}（{ref.closed_on}）")
    return 0


def run_plan_show(args: argparse.Namespace, workspace: Workspace) -> int:
    """Handler of ``yinling visits plan show``."""
    plan = workspace.visits.plan(dt.date.today())
    print(f"{plan.title}（{plan.ref}，自 {plan.period.start} 施行）")
    for tier in plan.tiers:
        print(f"{tier.name}\t{tier.frequency_label}\t{'、'.join(tier.methods)}\t{tier.rule_text}")
    return 0


def run_plan_install(args: argparse.Namespace, workspace: Workspace) -> int:
    """Handler of ``yinling visits plan install``."""
    plan = workspace.visits.install_plan(args.file)
    print(f"已安装：{plan.ref}（{plan.title}，{len(plan.tiers)} 个分级）")
    return 0
