"""``yinling sync …``: the laptop side of sync from the command line, on the real workspace.

Everything lives in the encrypted workspace: the device identity (its id and keys, as
``device.*`` settings), the enrolment (``local.sync.*`` settings), the outbox (the change log),
the pull cursor and what other laptops sent. Sign in as for every workspace command:
``--data-dir`` (or ``$YINLING_DATA_DIR``), ``--user`` (or ``$YINLING_USER``), the password from
``$YINLING_PASSWORD`` or asked for.

    yinling sync [--data-dir D] [--user U] enrol --server URL --code CODE   online enrolment
    yinling sync … enrol-request --code CODE --out F     offline enrolment: request file …
    yinling sync … enrol-import F [--server URL]         … and the county's answer
    yinling sync … push | pull | run [--batch N]         online sync (progress on stderr)
    yinling sync … export-bundle --out F                 offline: every unacknowledged change
    yinling sync … import-receipt F                      the county's receipt for a bundle
    yinling sync … import-grants F                       role grants the county wrote to a file
    yinling sync … status                                where this laptop stands (JSON)

Exit codes: 0 done, 1 refused (bad input, not enrolled, device revoked), 3 environment (no
workspace, wrong password, county unreachable or refusing).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from assessment.commands.workspace_args import add_workspace_arguments, open_workspace
from assessment.errors import InputRejected
from assessment.inputreader import DEFAULT_LIMITS, read_json
from assessment.records.api import StoreError
from assessment.records.countynotes import REVOKED, SyncRefused, revoked_message

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    from assessment.records.workspace import Workspace

# An enrolment answer is about a kilobyte.
ENROL_FILE_LIMITS = DEFAULT_LIMITS.with_max_bytes(64 * 1024)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``sync`` subcommand and its actions."""
    parser = subparsers.add_parser("sync", help="与县级服务器同步（联网或离线数据包）",
                                   description="笔记本端同步：设备登记、推送、拉取、离线数据包与回执。"
                                   "所有内容保存在加密的本机数据库中。")
    add_workspace_arguments(parser)
    actions = parser.add_subparsers(dest="sync_action", metavar="ACTION", required=True)
    enrol = actions.add_parser("enrol", help="联网登记本机")
    enrol.add_argument("--server", required=True, help="县级服务器地址，如 https://county.example")
    enrol.add_argument("--code", required=True, help="一次性登记码")
    enrol.add_argument("--label", default="评估笔记本", help="设备名称")
    request = actions.add_parser("enrol-request", help="离线登记：生成登记申请文件")
    request.add_argument("--code", required=True)
    request.add_argument("--label", default="评估笔记本")
    request.add_argument("--out", required=True)
    answer = actions.add_parser("enrol-import", help="离线登记：导入县级登记回复文件")
    answer.add_argument("file")
    answer.add_argument("--server", default="", help="县级服务器地址（以后联网同步时使用）")
    for name, text in (("push", "推送本机变更"), ("pull", "拉取本乡镇其他设备的变更"),
                       ("run", "推送并拉取")):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("--batch", type=int, default=500, help="每批变更数")
    export = actions.add_parser("export-bundle", help="导出离线数据包（全部未确认的变更）")
    export.add_argument("--out", required=True)
    receipt = actions.add_parser("import-receipt", help="导入县级回执，标记变更已确认")
    receipt.add_argument("file")
    grants = actions.add_parser("import-grants",
                                help="导入县级签发的角色授权文件（county account grant --out）")
    grants.add_argument("file")
    actions.add_parser("status", help="显示同步状态")
    parser.set_defaults(handler=run)


def _progress(done: int, total: int, text: str = "") -> None:
    """A progress line redrawn in place on a terminal; nothing in a log or a pipe."""
    if not sys.stderr.isatty():
        return
    print(f"\r{text}", end="", file=sys.stderr, flush=True)


def _line_end() -> str:
    """What ends the progress line before a result (a newline on a terminal only)."""
    return "\n" if sys.stderr.isatty() else ""


def run(args: argparse.Namespace) -> int:
    """Dispatch one sync action (exit codes in the module docstring)."""
    from assessment.sync.client import SyncError

    try:
        workspace = open_workspace(args)
    except StoreError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 3
    try:
        return _run(args, workspace)
    except InputRejected as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except SyncRefused as exc:
        print(f"{_line_end()}错误：{exc}", file=sys.stderr)
        return 1
    except SyncError as exc:
        if exc.revoked:  # remembered in the workspace by the sync pipeline
            print(f"{_line_end()}错误：{revoked_message(exc.message)}", file=sys.stderr)
            return 1
        print(f"{_line_end()}同步失败：{exc.message}", file=sys.stderr)
        return 3
    finally:
        workspace.close()


def _run(args: argparse.Namespace, ws: Workspace) -> int:
    from assessment.sync.enrolment import enrol_online, enrolment_settings, stored_link
    from assessment.wire.enrolment import build_request, link_from_response

    action = args.sync_action
    if action == "status":
        return _status(ws)
    revoked = ws.settings.get(REVOKED)
    if revoked is not None:
        raise SyncRefused(revoked_message(str(revoked)))
    if action == "enrol":
        link = enrol_online(args.server, ws.device_keys(), args.code, args.label)
        ws.settings.set_local(enrolment_settings(link))
        print(f"已登记到 {link.township_name}（{link.township_code}），"
              f"账号 {link.account}")
        return 0
    if action == "enrol-request":
        text = json.dumps(build_request(ws.device_keys(), args.code, args.label),
                          ensure_ascii=False, indent=2)
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"登记申请已写入 {args.out}，请交县级管理员处理")
        return 0
    if action == "enrol-import":
        data = read_json(args.file, ENROL_FILE_LIMITS)
        link = link_from_response(data, args.server)
        if link.device_id != ws.device_id:
            print("错误：登记回复不是发给本机的", file=sys.stderr)
            return 1
        ws.settings.set_local(enrolment_settings(link))
        print(f"已登记到 {link.township_name}（{link.township_code}）")
        return 0
    link = stored_link(ws.device_id, ws.settings.get)
    if action == "export-bundle":
        return _export(ws, link.county_box_key(), args.out)
    if action == "import-receipt":
        from assessment.wire.receipt import import_receipt

        receipt = import_receipt(Path(args.file), ws.outbox, link.county_sign_key())
        print(f"县级已确认至序号 {receipt.acked_seq}")
        return 0
    if action == "import-grants":
        return _import_grants(ws, args.file)
    if not link.server_url:
        print("错误：未配置县级服务器地址（请用 enrol 或 enrol-import --server）",
              file=sys.stderr)
        return 1
    return _online(ws, link.server_url, action, args.batch)


def _online(ws: Workspace, server_url: str, action: str, batch: int) -> int:
    from assessment.usecases.progress import CancelToken
    from assessment.usecases.sync_now import sync_now

    try:
        outcome = sync_now(ws, server_url, _progress, CancelToken(),
                           push=action in ("push", "run"), pull=action in ("pull", "run"),
                           batch_size=batch)
    except KeyboardInterrupt:
        print(f"{_line_end()}已取消（已确认的部分不会重复发送）", file=sys.stderr)
        return 3
    if outcome.pushed is not None:
        print(f"{_line_end()}已推送 {outcome.pushed.sent} 条，确认至序号 "
              f"{outcome.pushed.acked_seq}", file=sys.stderr)
    if outcome.pulled is not None:
        print(f"{_line_end()}已拉取 {outcome.pulled.received} 条", file=sys.stderr)
    for ref in outcome.installed:
        print(f"已安装县级发布的服务清单 {ref}", file=sys.stderr)
    for problem in outcome.list_errors:
        print(f"清单未能安装：{problem}", file=sys.stderr)
    for ref in outcome.plans_installed:
        print(f"已安装县级发布的探访计划 {ref}", file=sys.stderr)
    for problem in outcome.plan_errors:
        print(problem, file=sys.stderr)
    return 0


def _export(ws: Workspace, county_box: X25519PublicKey, out: str) -> int:
    from assessment.wire.bundle import export_bundle

    path = Path(out)
    manifest = export_bundle(ws.outbox, ws.device_keys(), county_box, path)
    if manifest is None:
        print("没有待上传的变更")
    else:
        print(f"已导出序号 {manifest.seq_from}–{manifest.seq_to}（{manifest.count} 条）到 {path}")
    return 0


def _import_grants(ws: Workspace, file: str) -> int:
    from assessment.wire.countygrant import import_grants_file

    kept = import_grants_file(Path(file), ws.outbox, ws.device_id)
    print(f"已导入 {kept} 份县级角色授权，重新登录后生效")
    return 0


def _status(ws: Workspace) -> int:
    from assessment.records import countynotes

    state = ws.outbox.sync_state()
    lists = ws.lists.announced()
    print(json.dumps({
        "device_id": state.device_id, "device_code": ws.device_code,
        "enrolled": ws.settings.get(countynotes.ENROLLED) is True,
        "township": ws.settings.get(countynotes.TOWNSHIP_CODE),
        "account": ws.settings.get(countynotes.ACCOUNT),
        # The signed-in account's own key: what the county names in a supervisor grant.
        "user": ws.current_user.username, "account_key": ws.accounts.own_key(),
        "server": ws.settings.get(countynotes.SERVER_URL),
        "last_seq": state.last_seq, "acked_seq": state.acked_seq, "pending": state.pending,
        "pull_cursor": state.pull_cursor, "revoked": ws.settings.get(countynotes.REVOKED),
        "conflicts": len(ws.outbox.conflicts()),
        "lists": [{"list_id": v.list_id, "version": v.version, "status": v.status}
                  for v in lists],
    }, ensure_ascii=False, indent=2))
    return 0
