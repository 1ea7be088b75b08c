"""``yinling certificate`` and ``yinling verify-certificate``.

``yinling certificate ASSESSMENT_ID --out FILE.pdf [--reprint]`` writes the Appendix C report
of a finalized assessment from the workspace (a print already logged makes it a 补打 reprint
automatically) and records the export in the audit log.

``yinling verify-certificate TEXT [--public-key FILE|HEX ...] [--id-number N --id-key HEX]``
checks a certificate's QR text offline. Without ``--public-key`` it uses this laptop's own key
(signing in to the workspace). Exit 0 valid, 1 invalid (altered, unknown device or not a
certificate code), 2 usage, 3 environment error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assessment.commands.workspace_args import add_workspace_arguments, open_workspace
from assessment.devicekeys import DevicePublicKey, parse_public_key
from assessment.errors import InputRejected, Problem


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``certificate`` and ``verify-certificate`` subcommands."""
    make = subparsers.add_parser(
        "certificate", help="生成评估报告 PDF（附录C）",
        description="从工作区生成已定稿评估的《老年人能力评估报告》PDF，并记入审计日志。")
    make.add_argument("assessment_id", help="评估记录编号")
    make.add_argument("--out", required=True, type=Path, help="输出 PDF 文件")
    make.add_argument("--reprint", action="store_true", help="标注“补打”（已打印过时自动标注）")
    add_workspace_arguments(make)
    make.set_defaults(handler=run_certificate)

    verify = subparsers.add_parser(
        "verify-certificate", help="离线核验评估报告二维码",
        description="核验评估报告二维码内容的签名：有效、伪造或篡改、签发设备未登记。")
    verify.add_argument("text", help="二维码内容：县级核验网址（…/v/YL1.…）或签名代码（YL1.…）")
    verify.add_argument("--public-key", action="append", default=None,
                        help="签发设备公钥：文件路径或十六进制（可重复）；省略时使用本机公钥")
    verify.add_argument("--id-number", default=None, help="报告上的公民身份号码（一并核对）")
    verify.add_argument("--id-key", default=None, help="身份号码摘要密钥（十六进制）")
    add_workspace_arguments(verify)
    verify.set_defaults(handler=run_verify)


def _read_key(value: str) -> DevicePublicKey:
    path = Path(value)
    if len(value) < 200 and path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputRejected([Problem("--public-key", "read",
                                         f"无法读取公钥文件 {value}")]) from exc
        return parse_public_key(text)
    return parse_public_key(value)


def run_verify(args: argparse.Namespace) -> int:
    """Handler of ``yinling verify-certificate``."""
    from assessment.documents.verification import verify_certificate_text

    try:
        if args.public_key:
            keys = [_read_key(value) for value in args.public_key]
        else:
            keys = [_own_key(args)]
        id_key = bytes.fromhex(args.id_key) if args.id_key else None
    except InputRejected as exc:
        for problem in exc.problems:
            print(f"错误：{problem}", file=sys.stderr)
        return 2
    except ValueError:
        print("错误：--id-key 应为十六进制", file=sys.stderr)
        return 2
    except Exception as exc:  # environment: no workspace, wrong password
        print(f"错误：{exc}", file=sys.stderr)
        return 3
    result = verify_certificate_text(args.text, keys, id_number=args.id_number, id_key=id_key)
    stream = sys.stdout if result.valid else sys.stderr
    for line in result.describe():
        print(line, file=stream)
    return 0 if result.valid and result.id_number_matches is not False else 1


def _own_key(args: argparse.Namespace) -> DevicePublicKey:
    from assessment.devicekeys import load_or_create_device_keys

    workspace = open_workspace(args)
    try:
        return load_or_create_device_keys(workspace.settings.get, workspace.settings.set).public
    finally:
        workspace.close()


def run_certificate(args: argparse.Namespace) -> int:
    """Handler of ``yinling certificate``."""
    from assessment.records.api import RecordNotFound, StoreError
    from assessment.usecases.certificates import export_certificate_pdf

    if args.out.suffix.lower() != ".pdf":
        print("错误：输出文件应为 .pdf", file=sys.stderr)
        return 2
    try:
        workspace = open_workspace(args)
    except (StoreError, OSError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 3
    try:
        issued = export_certificate_pdf(workspace, args.assessment_id, args.out,
                                        reprint=args.reprint)
    except RecordNotFound as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except InputRejected as exc:
        for problem in exc.problems:
            print(f"错误：{problem}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"错误：无法写入 {args.out}：{exc.strerror}", file=sys.stderr)
        return 3
    finally:
        workspace.close()
    print(f"已生成{'（补打）' if issued.reprint else ''}：{args.out}")
    return 0
