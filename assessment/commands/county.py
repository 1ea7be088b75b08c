"""``yinling county …``: county administration from the command line.

Townships, assessor accounts, one-time enrolment codes, devices (list, revoke, offline
enrolment by file), service-list publication, the review queues (conflicts, quarantined
changes, grade mismatches, chain gaps), finding elders by resident ID number or name, elder
transfers between townships and county statistics. Works directly on the county database (the
server may be running at the same time).
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

    transfer = actions.add_parser(
        "transfer", help="将老人（连同评估记录）迁至另一乡镇",
        description=("按老人编号（档案 ID）或 18 位身份证号指定老人。身份证号须恰好对应"
                     "一份老年人档案；找不到或对应多份时拒绝，不做任何更改"
                     "（可先用 elders find 查找）。"))
    transfer.add_argument("elder_id", metavar="ELDER", help="老人编号（档案 ID）或 18 位身份证号")
    transfer.add_argument("--to", required=True, help="迁入乡镇编码")
    transfer.add_argument("--note", default="", help="迁移说明")

    elders = actions.add_parser("elders", help="查找老年人档案（按身份证号或姓名）")
    verbs = elders.add_subparsers(dest="verb", required=True)
    find = verbs.add_parser(
        "find", help="按身份证号或姓名查找老人",
        description=("输入完整的 18 位身份证号（精确查找），或姓名（全名或开头几个字，如姓氏）。"
                     "输出 JSON：老人编号、姓名、身份证号（只显示前 6 位和后 4 位）、性别、"
                     "出生年份、所属乡镇、村（社区）和最近一次已定稿评估的等级。"))
    find.add_argument("query", metavar="身份证号或姓名")
    find.add_argument("--limit", type=int, default=50, metavar="N",
                      help="最多列出的条数（1–500，默认 50）")

    stats = actions.add_parser(
        "stats", help="全县统计（按乡镇；--out 导出按乡镇和村的 Excel 统计表）",
        description=("不加 --out 时输出各乡镇汇总（JSON）：老年人数、按当前能力等级的人数、"
                     "本年度评估次数和复评到期人数。加 --out 时导出与笔记本 yinling stats "
                     "相同的 Excel 统计表（按乡镇和村）。"))
    stats.add_argument("--out", default=None, help="输出 .xlsx 文件（如 全县统计.xlsx）")
    stats.add_argument("--from", dest="start", default=None,
                       help="期间起始日 YYYY-MM-DD（仅 --out）")
    stats.add_argument("--to", dest="end", default=None, help="期间截止日 YYYY-MM-DD（仅 --out）")
    stats.add_argument("--as-of", default=None, help="统计日期 YYYY-MM-DD（默认今天）")
    stats.add_argument("--no-eligibility", action="store_true",
                       help="不统计服务项目（仅 --out）")
    receipt = actions.add_parser("receipt", help="重新签发已导入数据包的回执")
    receipt.add_argument("bundle_id")
    receipt.add_argument("--out", required=True)
    actions.add_parser("admin-token", help="显示管理员令牌")
    parser.set_defaults(handler=lambda args: call("run_county", args))
