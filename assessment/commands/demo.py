"""``yinling demo``: create a demo township workspace (realistic elders and assessments).

Prints the data folder, the counts and the demo accounts (see
:mod:`assessment.records.demo`). Refuses to touch a folder that already holds a workspace.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from assessment.errors import InputRejected
from assessment.records.api import StoreError
from assessment.records.datadir import default_data_dir, workspace_exists
from assessment.records.demo import DEFAULT_ELDERS, create_demo_workspace, demo_accounts


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo", help="创建演示乡镇数据（加密数据库与演示账户）",
        description="在数据目录中创建演示乡镇：老人、家庭、评估记录（草稿、已定稿、已更正）。",
    )
    parser.add_argument("--elders", type=int, default=DEFAULT_ELDERS,
                        help=f"老人数量（默认 {DEFAULT_ELDERS}）")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="数据目录（默认为 YINLING_DATA_DIR 或用户数据目录）")
    parser.add_argument("--seed", type=int, default=42, help="随机种子（相同种子生成相同数据）")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Create the demo workspace; exit 1 on bad input, 3 when the folder is unusable."""
    data_dir: Path = args.data_dir if args.data_dir is not None else default_data_dir()
    if args.elders < 1 or args.elders > 1_000_000:
        print("老人数量应在 1 到 1000000 之间", file=sys.stderr)
        return 1
    if workspace_exists(data_dir):
        print(f"目录 {data_dir} 中已有数据库，未做任何改动", file=sys.stderr)
        return 3
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        print(f"\r写入 {done}/{total}", end="", file=sys.stderr, flush=True)

    try:
        counts = create_demo_workspace(data_dir, elders=args.elders, seed=args.seed,
                                       progress=progress)
    except InputRejected as exc:
        print(f"\n演示数据无效：{exc}", file=sys.stderr)
        return 1
    except (StoreError, OSError) as exc:
        print(f"\n无法创建演示数据：{exc}", file=sys.stderr)
        return 3
    print(file=sys.stderr)
    print(f"演示数据已创建：{data_dir}（用时 {time.monotonic() - started:.1f} 秒）")
    print("老人 {elders} 人，评估 {assessments} 份（已定稿 {finalized}，已更正 {superseded}，"
          "草稿 {drafts}）".format(**counts))
    for username, password, role in demo_accounts():
        shown = "管理员" if role == "supervisor" else "评估员"
        print(f"  账户 {username} / 密码 {password}（{shown}）")
    return 0
