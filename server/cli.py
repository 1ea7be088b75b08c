"""The county side of the ``yinling`` command: ``serve``, ``county …`` and ``import-bundle``.

The argument parsers live in :mod:`server.commands` (added to ``yinling`` when the server is
installed); they call :func:`run_county`, :func:`run_import_bundle` and :func:`run_serve`
here, importing this module only when one of them runs. Exit codes: 0 done, 1 input refused
(nothing written), 3 environment error.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from assessment.documents.exports import write_statistics_xlsx
from assessment.documents.statistics import TOTAL, TOWNSHIP
from assessment.eligibility.listfiles import LIST_FILE_LIMITS
from assessment.eligibility.listseal import sign_list, signed_list_text
from assessment.errors import InputRejected, Problem
from assessment.inputreader import DEFAULT_LIMITS, read_bytes, read_json
from assessment.wire.bundle import BundleRejected
from assessment.wire.public_url import check_public_url
from server import audit, county, review
from server.bundles import import_bundle, write_receipt
from server.config import Settings
from server.context import ServerContext
from server.county_device import CountyAuthor
from server.db.tables import receipts
from server.elder_lookup import find_elders, resolve_elder
from server.enrolment import enrol, response_text
from server.errors import NotFound, ServerError
from server.list_publishing import publish_checked
from server.operators import add_operator, disable_operator, list_operators, unlock_operator
from server.run import serve
from server.stats import check_period, county_summary, county_workbook, parse_day
from server.transfers import transfer_elder

ACTOR = "county-cli"
# An enrolment request is a few hundred bytes.
ENROL_FILE_LIMITS = DEFAULT_LIMITS.with_max_bytes(64 * 1024)
FIND_LIMIT = 500


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(data_dir=Path(args.data_dir), db_url=args.db or "",
                    max_bundle_bytes=int(getattr(args, "max_bundle_mb", 512)) * 1024 * 1024,
                    public_url=getattr(args, "public_url", "") or "")


def _print(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _fail(message: str, code: int = 1) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return code


def run_serve(args: argparse.Namespace) -> int:
    """``yinling serve``."""
    if args.public_url:
        try:
            check_public_url(args.public_url, "--public-url")
        except InputRejected as exc:
            return _fail(str(exc), 2)
    return serve(Settings(data_dir=Path(args.data_dir), db_url=args.db or "", host=args.host,
                          port=args.port, max_bundle_bytes=args.max_bundle_mb * 1024 * 1024,
                          public_url=args.public_url or "", workers=args.workers))


def run_import_bundle(args: argparse.Namespace) -> int:
    """``yinling import-bundle FILE``: verify, apply, write the signed receipt."""
    path = Path(args.file)
    try:
        with path.open("rb") as handle:  # read as a stream, never whole
            handle.read(1)
    except OSError as exc:
        return _fail(f"无法读取数据包 {path}：{exc.strerror}", 3)
    try:
        with ServerContext.open(_settings(args)) as ctx:
            outcome = import_bundle(ctx, path, ACTOR)
            folder = Path(args.receipt_dir) if args.receipt_dir else ctx.settings.receipts_dir()
            receipt_path = write_receipt(outcome, folder)
    except BundleRejected as exc:
        return _fail(f"数据包被拒绝，未导入任何记录：{exc.reason}")
    except OperationalError:
        return _fail("无法连接数据库", 3)
    r = outcome.result
    print(f"已导入设备 {outcome.receipt.device_id} 序号 {outcome.receipt.seq_from}–"
          f"{outcome.receipt.seq_to}：新增 {r.applied}，重复 {r.duplicates}，隔离 {r.quarantined}；"
          f"已确认至序号 {r.acked_seq}")
    print(f"回执：{receipt_path}（请拷回笔记本，运行 yinling sync import-receipt）")
    return 0


def run_county(args: argparse.Namespace) -> int:
    """``yinling county …``: dispatch to the chosen action inside one transaction."""
    try:
        with ServerContext.open(_settings(args)) as ctx:
            if args.county_action == "admin-token":
                print(ctx.keys.admin_token)
                return 0
            with ctx.engine.begin() as conn:
                result = _COUNTY_ACTIONS[args.county_action](conn, ctx, args)
    except InputRejected as exc:
        return _fail(str(exc))
    except ServerError as exc:
        return _fail(exc.message)
    except OperationalError:
        return _fail("无法连接数据库", 3)
    if result is not None:
        _print(result)
    if isinstance(result, dict) and result.get("dry_run") is False and \
            result.get("applied") is False:
        return 1  # a roster import of which nothing could be applied
    return 0


def _township(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    if args.verb == "add":
        county.add_township(conn, args.code, args.name, ACTOR)
        return {"township": args.code}
    return county.list_townships(conn)


def _operator(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    if args.verb == "add":
        return add_operator(conn, args.username, args.name, args.role, _new_password(),
                            ACTOR)
    if args.verb == "disable":
        disable_operator(conn, args.username, ACTOR)
        return {"disabled": args.username}
    if args.verb == "unlock":
        unlock_operator(conn, args.username, ACTOR)
        return {"unlocked": args.username}
    return list_operators(conn)


def _new_password() -> str:
    """The new operator's password: ``$YINLING_PASSWORD``, else asked twice on the terminal."""
    password = os.environ.get("YINLING_PASSWORD")
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise InputRejected([Problem("password", "missing",
                                     "没有可供输入的终端：请用环境变量 YINLING_PASSWORD 给出密码")])
    first, second = getpass.getpass("密码："), getpass.getpass("再次输入密码：")
    if first != second:
        raise InputRejected([Problem("password", "mismatch", "两次输入的密码不一致")])
    return first


def _account(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    if args.verb == "add":
        county.add_account(conn, args.username, args.name, args.township, ACTOR, args.role)
        return {"account": args.username}
    if args.verb == "grant":
        from assessment.wire.countygrant import grants_file_text
        from server.rolegrants import device_grants, grant_role

        done = grant_role(conn, CountyAuthor.of(ctx), ctx.keys.sign, args.device, args.user,
                          args.role, ACTOR, args.key or "")
        if args.out:
            Path(args.out).write_text(
                grants_file_text(args.device, device_grants(conn, args.device)),
                encoding="utf-8")
            done["grants_file"] = str(args.out)
        return done
    county.revoke_account(conn, args.username, ACTOR)
    return {"revoked": args.username}


def _code(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    return {"username": args.username,
            "code": county.new_enrolment_code(conn, args.username, ACTOR, args.hours)}


def _device(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    if args.verb == "revoke":
        county.revoke_device(conn, args.device_id, ACTOR)
        return {"revoked": args.device_id}
    return county.list_devices(conn)


def _enrol_device(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    request = read_json(args.request, ENROL_FILE_LIMITS)
    answer = enrol(conn, request, ctx.keys, ACTOR, ctx.public_url)
    Path(args.out).write_text(response_text(answer), encoding="utf-8")
    return {"device_id": answer["device_id"], "township": answer["township_code"],
            "response": str(args.out)}


def _list(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    raw = read_bytes(args.file, LIST_FILE_LIMITS.max_bytes)
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputRejected([Problem(args.file, "encoding", "清单文件不是 UTF-8 编码")]) from exc
    digest = publish_checked(conn, args.list_id, args.version, content, ACTOR)
    out: dict[str, Any] = {"sha256": digest}
    if getattr(args, "signed_out", None):
        # The same signature the feed serves: laptops install only lists their county signed.
        signature = sign_list(ctx.keys.sign, content.encode("utf-8"))
        Path(args.signed_out).write_text(signed_list_text(content, signature), encoding="utf-8")
        out["signed_file"] = str(args.signed_out)
    return out


def _review(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    if args.verb == "list":
        return review.list_queue(conn, args.queue, open_only=not args.all,
                                 township=args.township)
    if args.verb == "counts":
        return review.counts(conn)
    if args.verb == "reveal":
        return review.reveal(conn, args.id, ACTOR)
    review.resolve(conn, args.queue, args.id, args.action, args.note, ACTOR,
                   author=CountyAuthor.of(ctx))
    return {"resolved": args.id}


def _transfer(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    """The elder is named by record id or by resident ID number (exactly one elder)."""
    elder_id = resolve_elder(conn, args.elder_id)
    return transfer_elder(conn, CountyAuthor.of(ctx), elder_id, args.to, args.note, ACTOR)


def _registry(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    """``county registry …``: duplicates, dismiss, undismiss, merge, unmerge, deregister,
    restore, import, export."""
    from server import registry

    author = CountyAuthor.of(ctx)
    if args.verb == "duplicates":
        return registry.duplicate_queue(conn)
    if args.verb == "import":
        from server.registry_import import import_county_office_file

        as_of = parse_day(args.as_of, "--as-of")
        if as_of is None:
            raise InputRejected([Problem("--as-of", "missing", "请给出名单截止日期")])
        return import_county_office_file(conn, author, args.file, kind=args.kind,
                                    source=args.source, as_of=as_of, dry_run=args.dry_run,
                                    actor=ACTOR)
    if args.verb == "export":
        from assessment.registry.export import write_export

        rows = registry.export_rows(conn)
        try:
            count = write_export(rows, args.out)
        except OSError as exc:
            raise ServerError(f"无法写入 {args.out}：{exc.strerror or exc}") from exc
        audit.record(conn, ACTOR, "registry.export", {"elders": count})
        print(f"已导出：{args.out}（{count} 位老人）")
        return None
    if args.verb == "dismiss":
        return registry.dismiss_pair(conn, resolve_elder(conn, args.first),
                                     resolve_elder(conn, args.second), args.note, ACTOR)
    if args.verb == "undismiss":
        return registry.undismiss_pair(conn, resolve_elder(conn, args.first),
                                       resolve_elder(conn, args.second), args.why, ACTOR)
    if args.verb == "merge":
        return registry.merge_elders(conn, author, resolve_elder(conn, args.keep),
                                     resolve_elder(conn, args.other), args.note, ACTOR)
    if args.verb == "unmerge":
        return registry.unmerge_elder(conn, author, resolve_elder(conn, args.other),
                                      args.why, ACTOR)
    if args.verb == "deregister":
        on = parse_day(args.date, "--date")
        if on is None:
            raise InputRejected([Problem("--date", "missing", "请给出注销日期")])
        return registry.deregister_elder(conn, author, resolve_elder(conn, args.elder_id),
                                         args.reason, on, args.note, ACTOR)
    return registry.restore_elder(conn, author, resolve_elder(conn, args.elder_id), args.why,
                                  ACTOR)


def _elders(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    """``elders find``: matches by ID number or name, the ID numbers masked."""
    if not 1 <= args.limit <= FIND_LIMIT:
        raise InputRejected([Problem("--limit", "range", f"--limit 应在 1–{FIND_LIMIT} 之间")])
    return find_elders(conn, args.query, args.limit).as_dict()


def _stats(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    """The per-township summary as JSON, or with ``--out`` the laptops' Excel workbook over
    the whole county (per township and village)."""
    as_of = parse_day(args.as_of, "--as-of") or date.today()
    if args.out is None:
        if args.start or args.end or args.no_eligibility:
            raise InputRejected([Problem("--out", "needs_out",
                                         "--from、--to 和 --no-eligibility 只用于导出（--out）")])
        return {**county_summary(conn, as_of), "open": review.counts(conn)}
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise InputRejected([Problem("--out", "suffix", "输出文件应为 .xlsx")])
    start, end = parse_day(args.start, "--from"), parse_day(args.end, "--to")
    check_period(start, end)
    stats = county_workbook(conn, as_of=as_of, start=start, end=end,
                            with_eligibility=not args.no_eligibility)
    try:
        write_statistics_xlsx(stats, out)
    except OSError as exc:
        raise ServerError(f"无法写入 {out}：{exc.strerror or exc}") from exc
    villages = stats.grades.iloc[:-1]
    print(f"已导出：{out}（老年人 {stats.grades.iloc[-1][TOTAL]} 人，"
          f"{villages[TOWNSHIP].nunique()} 个乡镇，{len(villages)} 个村（社区））")
    return None


def _receipt(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    body = conn.execute(select(receipts.c.body).where(
        receipts.c.bundle_id == args.bundle_id)).scalar()
    if body is None:
        raise NotFound("没有该数据包的回执")
    Path(args.out).write_text(body, encoding="utf-8")
    return {"receipt": str(args.out)}


def _visits(conn: Any, ctx: ServerContext, args: argparse.Namespace) -> Any:
    """``county visits publish FILE [--signed-out F]`` and ``county visits list``."""
    from server.visit_plans import announced, publish_plan

    if args.verb == "list":
        return announced(conn)
    raw = read_bytes(args.file, LIST_FILE_LIMITS.max_bytes)
    published = publish_plan(conn, raw, ACTOR)
    out: dict[str, Any] = {"plan": published.ref, "title": published.title,
                           "effective_from": published.effective_from,
                           "sha256": published.sha256}
    if args.signed_out:
        # The signature the feed serves: laptops install only plans their county signed.
        signature = sign_list(ctx.keys.sign, raw)
        Path(args.signed_out).write_text(signed_list_text(raw.decode("utf-8"), signature),
                                         encoding="utf-8")
        out["signed_file"] = str(args.signed_out)
    return out


_COUNTY_ACTIONS = {
    "township": _township, "account": _account, "operator": _operator, "code": _code,
    "device": _device,
    "enrol-device": _enrol_device, "list": _list, "review": _review, "stats": _stats,
    "receipt": _receipt, "transfer": _transfer, "elders": _elders, "registry": _registry,
    "visits": _visits,
}
