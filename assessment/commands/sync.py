"""``yinling sync …``: the laptop side of sync from the command line.

Works on a sync folder holding the device keys (``device-keys.json``), the county profile
(``sync-profile.json``) and, until the Workspace implements the outbox protocol itself, the
reference change log (``outbox.sqlite3``, :class:`assessment.sync.local_outbox.LocalOutbox`).

    yinling sync enrol --server URL --code CODE     online enrolment
    yinling sync enrol-request --code CODE --out F  offline enrolment: request file …
    yinling sync enrol-import F [--server URL]      … and the county's answer
    yinling sync push | pull | run                  online sync (progress on stderr)
    yinling sync export-bundle --out F              offline: every unacknowledged change
    yinling sync import-receipt F                   the county's receipt for a bundle
    yinling sync status
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path

from assessment.errors import InputRejected
from assessment.records.datadir import default_data_dir
from assessment.sync.bundle import export_bundle
from assessment.sync.client import SyncClient, SyncError
from assessment.sync.device import DeviceKeys
from assessment.sync.enrolment import build_request, enrol_online, profile_from_response
from assessment.sync.local_outbox import LocalOutbox
from assessment.sync.profile import SyncProfile
from assessment.sync.receipt import import_receipt

KEYS_FILE = "device-keys.json"
PROFILE_FILE = "sync-profile.json"
OUTBOX_FILE = "outbox.sqlite3"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``sync`` subcommand and its actions."""
    parser = subparsers.add_parser("sync", help="与县级服务器同步（联网或离线数据包）",
                                   description="笔记本端同步：设备登记、推送、拉取、离线数据包与回执。")
    parser.add_argument("--dir", type=Path, default=None,
                        help="同步目录（默认：数据目录下的 sync 文件夹）")
    actions = parser.add_subparsers(dest="sync_action", metavar="ACTION", required=True)
    enrol = actions.add_parser("enrol", help="联网登记本机")
    enrol.add_argument("--server", required=True, help="县级服务器地址，如 https://county.example")
    enrol.add_argument("--code", required=True, help="一次性登记码")
    enrol.add_argument("--label", default="评估笔记本", help="设备名称")
    request = actions.add_parser("enrol-request", help="离线登记：生成登记申请文件")
    request.add_argument("--code", required=True)
    request.add_argument("--label", default="评估笔记本")
    request.add_argument("--out", type=Path, required=True)
    answer = actions.add_parser("enrol-import", help="离线登记：导入县级登记回复文件")
    answer.add_argument("file", type=Path)
    answer.add_argument("--server", default="", help="县级服务器地址（以后联网同步时使用）")
    for name, text in (("push", "推送本机变更"), ("pull", "拉取本乡镇其他设备的变更"),
                       ("run", "推送并拉取")):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("--batch", type=int, default=500, help="每批变更数")
    export = actions.add_parser("export-bundle", help="导出离线数据包（全部未确认的变更）")
    export.add_argument("--out", type=Path, required=True)
    receipt = actions.add_parser("import-receipt", help="导入县级回执，标记变更已确认")
    receipt.add_argument("file", type=Path)
    actions.add_parser("status", help="显示同步状态")
    parser.set_defaults(handler=run)


def _folder(args: argparse.Namespace) -> Path:
    folder: Path = args.dir if args.dir is not None else default_data_dir() / "sync"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _progress(phase: str, done: int, total: int) -> None:
    label = "推送" if phase == "push" else "拉取"
    print(f"\r{label}：{done}/{total}" if total else f"\r{label}：{done}", end="",
          file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Dispatch one sync action; 0 done, 1 refused, 3 server or environment problem."""
    folder = _folder(args)
    keys = DeviceKeys.load_or_create(folder / KEYS_FILE)
    try:
        return _run(args, folder, keys)
    except InputRejected as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except SyncError as exc:
        print(f"\n同步失败：{exc.message}", file=sys.stderr)
        return 3


def _run(args: argparse.Namespace, folder: Path, keys: DeviceKeys) -> int:
    action = args.sync_action
    if action == "enrol":
        profile = enrol_online(args.server, keys, args.code, args.label)
        profile.save(folder / PROFILE_FILE)
        print(f"已登记到 {profile.township_name}（{profile.township_code}），"
              f"账号 {profile.account}")
        return 0
    if action == "enrol-request":
        args.out.write_text(json.dumps(build_request(keys, args.code, args.label),
                                       ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"登记申请已写入 {args.out}，请交县级管理员处理")
        return 0
    if action == "enrol-import":
        try:
            data = json.loads(args.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            print("错误：无法读取登记回复文件", file=sys.stderr)
            return 1
        profile = profile_from_response(data, args.server)
        if profile.device_id != keys.device_id:
            print("错误：登记回复不是发给本机的", file=sys.stderr)
            return 1
        profile.save(folder / PROFILE_FILE)
        print(f"已登记到 {profile.township_name}（{profile.township_code}）")
        return 0
    profile = SyncProfile.load(folder / PROFILE_FILE)
    with LocalOutbox(folder / OUTBOX_FILE, keys.device_id) as outbox:
        if action == "status":
            state = outbox.sync_state()
            print(json.dumps({"device_id": state.device_id, "township": profile.township_code,
                              "last_seq": state.last_seq, "acked_seq": state.acked_seq,
                              "pending": state.pending, "pull_cursor": state.pull_cursor},
                             ensure_ascii=False, indent=2))
            return 0
        if action == "export-bundle":
            manifest = export_bundle(outbox, keys, profile.county_box_key(), args.out)
            if manifest is None:
                print("没有待上传的变更")
            else:
                print(f"已导出序号 {manifest.seq_from}–{manifest.seq_to}（{manifest.count} 条）"
                      f"到 {args.out}")
            return 0
        if action == "import-receipt":
            receipt = import_receipt(args.file, outbox, profile.county_sign_key())
            print(f"县级已确认至序号 {receipt.acked_seq}")
            return 0
        if not profile.server_url:
            print("错误：未配置县级服务器地址（请用 enrol 或 enrol-import --server）",
                  file=sys.stderr)
            return 1
        cancel = threading.Event()
        with SyncClient(profile.server_url, keys, outbox, batch_size=args.batch) as client:
            try:
                if action in ("push", "run"):
                    pushed = client.push(_progress, cancel)
                    print(f"\n已推送 {pushed.sent} 条，确认至序号 {pushed.acked_seq}",
                          file=sys.stderr)
                if action in ("pull", "run"):
                    pulled = client.pull(_progress, cancel)
                    print(f"\n已拉取 {pulled.received} 条", file=sys.stderr)
            except KeyboardInterrupt:
                cancel.set()
                print("\n已取消（已确认的部分不会重复发送）", file=sys.stderr)
                return 3
    return 0
