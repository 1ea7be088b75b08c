"""``yinling match FILE|-``: match elder profiles against the basic-service lists
(docs/spec/service-lists.md §6).

Input: one JSON object or an array of objects, each a profile with the attribute names of
the vocabulary (dates ``YYYY-MM-DD``, unknown attributes absent or ``null``) plus an optional
``"as_of"`` (default: today). Output: for each profile an object ``{"as_of", "list", "lists",
"items": [{"id", "name", "result", "reasons", "missing", ...}]}`` with every item of every
applicable list. Invalid input is refused whole: every problem on standard error naming the
field, exit 1, nothing on standard output. A bad list file is an environment error (exit 3).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from assessment.eligibility import ListRegistry, load_lists
from assessment.eligibility.evaluate import evaluate_profile
from assessment.eligibility.plan import MatchPlan, make_plan
from assessment.eligibility.profile import parse_request
from assessment.errors import FormFileError, InputRejected, Problem
from assessment.inputreader import read_json
from assessment.jsonio import dump_json


def add_lists_dir(parser: argparse.ArgumentParser) -> None:
    """Add the ``--lists-dir`` option shared by the list-related subcommands."""
    parser.add_argument(
        "--lists-dir",
        type=Path,
        default=None,
        help="已安装清单版本所在文件夹（默认：用户数据文件夹，或 $YINLING_DATA_DIR/service_lists）",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``match`` subcommand."""
    parser = subparsers.add_parser(
        "match",
        help="按基本养老服务清单匹配老年人（JSON 输入）",
        description="读取老年人档案 JSON（一个对象或数组），输出每个适用清单条目的匹配结果与依据。",
    )
    parser.add_argument("file", help="JSON 文件路径；- 表示标准输入")
    add_lists_dir(parser)
    parser.set_defaults(handler=run)


def match_payload(payload: Any, registry: ListRegistry, today: dt.date) -> Any:
    """Match one profile object or an array of them; raise InputRejected on any problem."""
    many = isinstance(payload, list)
    if not many and not isinstance(payload, dict):
        raise InputRejected([Problem("(输入)", "type", "输入应为一个 JSON 对象或对象数组")])
    if many and not payload:
        raise InputRejected([Problem("(输入)", "empty", "数组为空，没有要匹配的档案")])
    cases = payload if many else [payload]
    problems: list[Problem] = []
    parsed = []
    for index, case in enumerate(cases):
        try:
            parsed.append(
                parse_request(case, registry.vocabulary, today, where=f"[{index}]" if many else "")
            )
        except InputRejected as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputRejected(problems)
    plans: dict[dt.date, MatchPlan] = {}
    results = []
    for profile, as_of in parsed:
        plan = plans.get(as_of) or plans.setdefault(as_of, make_plan(registry, as_of))
        results.append(evaluate_profile(plan, profile).to_json())
    return results if many else results[0]


def run(args: argparse.Namespace) -> int:
    """Handler of ``yinling match``."""
    try:
        registry = load_lists(args.lists_dir)
    except FormFileError as exc:
        print(f"错误：服务清单文件无效：{exc}", file=sys.stderr)
        return 3
    try:
        output = match_payload(read_json(args.file), registry, dt.date.today())
    except InputRejected as exc:
        for problem in exc.problems:
            print(f"错误：{problem}", file=sys.stderr)
        return 1
    sys.stdout.write(dump_json(output) + "\n")
    return 0
