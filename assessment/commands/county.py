"""``yinling county …``: county administration from the command line.

Townships, assessor accounts, one-time enrolment codes, devices (list, revoke, offline
enrolment by file), service-list publication, the review queues (conflicts, quarantined
changes, grade mismatches, chain gaps), elder transfers between townships and county
statistics. Works directly on the county database (the server may be running at the same
time).
"""

from __future__ import annotations

import argparse

from assessment.commands.countyside import add_store_options, call

QUEUES = ("conflicts", "quarantine", "mismatches", "gaps")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``county`` subcommand and its actions."""
    parser = subparsers.add_parser("county", help="县级管理：乡镇、账号、设备登记、审核、统计",
                                   description="县级服务器管理命令。")
    add_store_options(parser)
    actions = parser.add_subparsers(dest="county_action", metavar="ACTION", required=True)

    township = actions.add_parser("township", help="乡镇")
    verbs = township.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="新增乡镇")
    add.add_argument("code", help="乡镇编码（如区划代码）")
    add.add_argument("name", help="乡镇名称")
    verbs.add_parser("list", help="列出乡镇")

    account = actions.add_parser("account", help="评估员账号")
    verbs = account.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="新增账号")
    add.add_argument("username")
    add.add_argument("name", help="姓名")
    add.add_argument("--township", required=True, help="所属乡镇编码")
    add.add_argument("--role", default="assessor", choices=("assessor", "supervisor"))
    revoke = verbs.add_parser("revoke", help="停用账号（其所有设备随即被拒绝）")
    revoke.add_argument("username")

    code = actions.add_parser("code", help="生成一次性设备登记码")
    code.add_argument("username")
    code.add_argument("--hours", type=int, default=72, help="有效小时数（默认 72）")

    device = actions.add_parser("device", help="设备")
    verbs = device.add_subparsers(dest="verb", required=True)
    verbs.add_parser("list", help="列出已登记设备")
    revoke = verbs.add_parser("revoke", help="停用设备")
    revoke.add_argument("device_id")

    enrol = actions.add_parser("enrol-device", help="离线登记：处理笔记本的登记申请文件")
    enrol.add_argument("request", help="笔记本导出的登记申请文件")
    enrol.add_argument("--out", required=True, help="写出的登记回复文件（拷回笔记本）")

    lists = actions.add_parser("list", help="发布服务清单版本")
    lists.add_argument("list_id")
    lists.add_argument("version", type=int)
    lists.add_argument("file", help="清单文件（YAML）")

    review = actions.add_parser("review", help="审核队列")
    verbs = review.add_subparsers(dest="verb", required=True)
    show = verbs.add_parser("list", help="列出待审核项")
    show.add_argument("queue", choices=QUEUES)
    show.add_argument("--all", action="store_true", help="包括已处理的")
    show.add_argument("--township", default=None)
    verbs.add_parser("counts", help="各队列待审核数")
    resolve = verbs.add_parser("resolve", help="处理一项")
    resolve.add_argument("queue", choices=QUEUES)
    resolve.add_argument("id", type=int)
    resolve.add_argument("action", help="conflicts: keep|prefer_other；quarantine: dismiss；"
                         "mismatches: accept_server|accept_device；gaps: close")
    resolve.add_argument("--note", default="", help="处理说明")

    transfer = actions.add_parser("transfer", help="将老人（连同评估记录）迁至另一乡镇")
    transfer.add_argument("elder_id", help="老人编号（档案 ID）")
    transfer.add_argument("--to", required=True, help="迁入乡镇编码")
    transfer.add_argument("--note", default="", help="迁移说明")

    actions.add_parser("stats", help="全县统计（按乡镇和等级）")
    receipt = actions.add_parser("receipt", help="重新签发已导入数据包的回执")
    receipt.add_argument("bundle_id")
    receipt.add_argument("--out", required=True)
    actions.add_parser("admin-token", help="显示管理员令牌")
    parser.set_defaults(handler=lambda args: call("run_county", args))
