"""The county side of the ``yinling`` command line: ``serve``, ``county …``, ``import-bundle``.

The core's command (:mod:`assessment.cli`) adds these parsers when the server package is
installed beside it; their work is done by :mod:`server.cli`, imported only when one of them
runs, so ``yinling --help`` and the laptop's own commands never load the server's
dependencies. Exit codes: 0 done, 1 input refused (nothing written), 3 environment error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from server.config import DATA_DIR_ENV, default_data_dir

COMMANDS = ("serve", "county", "import-bundle")
"""The subcommands this module adds (the core names them when the server is absent)."""

def add_store_options(parser: argparse.ArgumentParser) -> None:
    """``--data-dir``, ``--db`` and the bundle size limit."""
    parser.add_argument("--data-dir", type=Path, default=default_data_dir(),
                        help="县级数据目录：密钥、管理员令牌、回执、默认 SQLite 数据库"
                        f"（默认 {default_data_dir()}，可用环境变量 {DATA_DIR_ENV} 指定）")
    parser.add_argument("--db", default="", help="数据库 URL，例如 "
                        "postgresql+psycopg://yinling@127.0.0.1/yinling（默认数据目录中的 SQLite）")
    parser.add_argument("--max-bundle-mb", type=int, default=512,
                        help="数据包大小上限（MB，默认 512）")
    parser.add_argument("--public-url", default="",
                        help="县级公开核验地址，例如 https://yl.example.gov.cn（评估报告二维码"
                        "指向其 /v/… 页面；设置一次后保存在数据目录中，登记时告知笔记本）")



def _run(function: str, args: argparse.Namespace) -> int:
    """Run ``server.cli.<function>(args)``; exit code 3 when a server dependency is missing."""
    try:
        from server import cli
    except ModuleNotFoundError:
        print("错误：本机未安装县级服务器组件（server 包）", file=sys.stderr)
        return 3
    code: int = getattr(cli, function)(args)
    return code


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``serve``, ``county`` and ``import-bundle`` to the ``yinling`` command."""
    register_serve(subparsers)
    register_county(subparsers)
    register_import_bundle(subparsers)


def register_serve(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``yinling serve``: run the county server (FastAPI on uvicorn)."""
    parser = subparsers.add_parser(
        "serve", help="运行县级服务器", description="运行县级服务器（接收笔记本同步与数据包）。"
        "首次启动时在数据目录中生成县级密钥和管理员令牌。")
    add_store_options(parser)
    parser.add_argument("--host", default="127.0.0.1",
                        help="监听地址（默认 127.0.0.1；对外服务请经 TLS 反向代理）")
    parser.add_argument("--port", type=int, default=8765, help="监听端口（默认 8765）")
    parser.add_argument("--workers", type=int, default=1,
                        help="服务器进程数（默认 1；会话、随机数等都保存在数据库中，可多进程运行）")
    parser.set_defaults(handler=lambda args: _run("run_serve", args))


QUEUES = ("conflicts", "quarantine", "mismatches", "gaps")


def register_county(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``yinling county …``: county administration (works on the county database directly;
    the server may be running at the same time)."""
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
    grant = verbs.add_parser(
        "grant", help="授予笔记本上账户的角色（经同步下发，由县级密钥签名）",
        description="为已登记笔记本上的某个账户签发角色授权：已登记的笔记本只承认县级签发的"
        "管理员授权。授权绑定该账户自己的密钥（--key），同名重建的账户不能沿用。授权随该乡镇的"
        "同步数据下发，也随该笔记本下一个离线数据包的回执带回，笔记本同步或导入回执后生效。")
    grant.add_argument("--device", required=True, help="笔记本的设备编号（county device list）")
    grant.add_argument("--user", required=True, help="笔记本上的用户名")
    grant.add_argument("--key", default="",
                       help="该账户的密钥指纹（授予管理员时必填：账户持有人在笔记本上"
                       "用“同步状态”或 yinling sync status 查看 account_key）")
    grant.add_argument("--out", default="",
                       help="另写出该笔记本的全部授权文件（只用 U 盘、没有数据包可交的笔记本用"
                       " yinling sync import-grants 导入）")
    grant.add_argument("--role", default="supervisor", choices=("supervisor", "assessor"),
                       help="supervisor 授予管理员；assessor 收回管理员授权")

    operator = actions.add_parser(
        "operator", help="县级网页账号（管理员、审核员）",
        description="县级网页的具名账号。密码取自环境变量 YINLING_PASSWORD，未设置时在终端询问；"
                    "至少 8 个可见字符，不能与用户名相同，不能是常见密码。连续输错 5 次密码后账号"
                    "暂时锁定（每多错一次时间加倍），可用 unlock 解锁。")
    verbs = operator.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="新增网页账号")
    add.add_argument("username")
    add.add_argument("name", help="姓名")
    add.add_argument("--role", required=True, choices=("管理员", "审核员", "admin", "reviewer"))
    disable = verbs.add_parser("disable", help="停用网页账号（其会话随即失效）")
    disable.add_argument("username")
    unlock = verbs.add_parser("unlock", help="解除因密码输错而暂时锁定的网页账号")
    unlock.add_argument("username")
    verbs.add_parser("list", help="列出网页账号")

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
    lists.add_argument("--signed-out", default=None,
                       help="另写出县级签名的清单文件"
                       "（供未联网的笔记本用 yinling lists install 安装）")

    visits = actions.add_parser("visits", help="探访关爱计划：发布新版本")
    verbs = visits.add_subparsers(dest="verb", required=True)
    publish = verbs.add_parser("publish", help="发布探访计划版本（同步时笔记本自动安装）")
    publish.add_argument("file", help="探访计划文件（YAML）")
    publish.add_argument("--signed-out", default=None,
                         help="另写出县级签名的探访计划文件"
                         "（供未联网的笔记本用 yinling visits plan install 安装）")
    verbs.add_parser("list", help="列出已发布的探访计划版本")

    review = actions.add_parser("review", help="审核队列")
    verbs = review.add_subparsers(dest="verb", required=True)
    show = verbs.add_parser("list", help="列出待审核项")
    show.add_argument("queue", choices=QUEUES)
    show.add_argument("--all", action="store_true", help="包括已处理的")
    show.add_argument("--township", default=None)
    verbs.add_parser("counts", help="各队列待审核数")
    reveal = verbs.add_parser("reveal", help="显示字段冲突中被遮盖的完整身份证号（记入审计日志）")
    reveal.add_argument("id", type=int, help="字段冲突编号")
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

    registry = actions.add_parser(
        "registry", help="老年人名册：疑似重复、合并与撤销合并、注销与恢复、名单导入、导出",
        description="全县疑似重复登记队列；合并保留两份档案的全部历史（可撤销）；注销与恢复在册。"
                    "老人可用档案 ID 或 18 位身份证号指定。")
    verbs = registry.add_subparsers(dest="verb", metavar="VERB", required=True)
    verbs.add_parser("duplicates", help="全县疑似重复登记（JSON）")
    dismiss = verbs.add_parser("dismiss", help="标记两份档案不是同一人（移出疑似重复队列）")
    dismiss.add_argument("first", metavar="FIRST", help="档案一")
    dismiss.add_argument("second", metavar="SECOND", help="档案二")
    dismiss.add_argument("--note", default="", help="说明")
    undismiss = verbs.add_parser("undismiss", help="撤销“不是同一人”的标记（重新进入队列）")
    undismiss.add_argument("first", metavar="FIRST", help="档案一")
    undismiss.add_argument("second", metavar="SECOND", help="档案二")
    undismiss.add_argument("--why", required=True, help="理由")
    merge = verbs.add_parser("merge", help="将 OTHER 合并到 KEEP（评估记录改挂 KEEP）")
    merge.add_argument("keep", metavar="KEEP", help="保留的档案")
    merge.add_argument("other", metavar="OTHER", help="并入的档案")
    merge.add_argument("--note", default="", help="说明")
    unmerge = verbs.add_parser("unmerge", help="撤销合并")
    unmerge.add_argument("other", metavar="OTHER", help="被并入的档案")
    unmerge.add_argument("--why", required=True, help="理由")
    dereg = verbs.add_parser("deregister", help="注销")
    dereg.add_argument("elder_id", metavar="ELDER")
    dereg.add_argument("--reason", required=True, help="死亡、迁出、登记错误 或 其他")
    dereg.add_argument("--date", required=True, help="注销日期 YYYY-MM-DD")
    dereg.add_argument("--note", default="", help="说明")
    restore = verbs.add_parser("restore", help="恢复在册")
    restore.add_argument("elder_id", metavar="ELDER")
    restore.add_argument("--why", required=True, help="理由")
    export = verbs.add_parser(
        "export", help="导出全县名册（CSV 或 Excel，列与笔记本 yinling registry export 相同）")
    export.add_argument("--out", required=True, type=Path,
                        help="输出文件 .csv（UTF-8，带 BOM）或 .xlsx")
    imp = verbs.add_parser("import", help="导入部门名单（CSV 或 Excel），输出 JSON 摘要")
    imp.add_argument("file", type=Path, metavar="FILE", help=".csv（UTF-8 或 GBK）或 .xlsx")
    imp.add_argument("--kind", required=True, choices=(
        "dibao", "dibao_edge", "tekun_dispersed", "tekun_centralized", "disability",
        "fp_special", "veteran"), help="名单类型")
    imp.add_argument("--source", required=True, help="名单来源，如“县民政局”")
    imp.add_argument("--as-of", required=True, help="名单截止日期 YYYY-MM-DD")
    imp.add_argument("--dry-run", action="store_true", help="只比对并输出摘要，不写入")

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
    parser.set_defaults(handler=lambda args: _run("run_county", args))


def register_import_bundle(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``yinling import-bundle FILE``: verify a laptop's bundle whole, apply it in one
    transaction like an online push, and write the signed receipt."""
    parser = subparsers.add_parser(
        "import-bundle", help="县级：导入笔记本的离线数据包并生成回执",
        description="校验并导入离线数据包（签名、加密、清单、哈希链、防重放），"
        "整体成功或整体拒绝，并生成签名回执。")
    parser.add_argument("file", help="数据包文件（.ylb）")
    parser.add_argument("--receipt-dir", default="", help="回执输出目录（默认 数据目录/receipts）")
    add_store_options(parser)
    parser.set_defaults(handler=lambda args: _run("run_import_bundle", args))
