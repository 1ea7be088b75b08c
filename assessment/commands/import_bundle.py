"""``yinling import-bundle FILE``: apply a laptop's bundle on the county server.

The bundle is verified whole (signature, encryption, manifest, hash chain, replay) before
anything is written, applied in one transaction exactly like an online push, and answered with
a signed receipt file to carry back to the laptop.
"""

from __future__ import annotations

import argparse

from assessment.commands.countyside import add_store_options, call


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``import-bundle`` subcommand."""
    parser = subparsers.add_parser(
        "import-bundle", help="县级：导入笔记本的离线数据包并生成回执",
        description="校验并导入离线数据包（签名、加密、清单、哈希链、防重放），"
        "整体成功或整体拒绝，并生成签名回执。")
    parser.add_argument("file", help="数据包文件（.ylb）")
    parser.add_argument("--receipt-dir", default="", help="回执输出目录（默认 数据目录/receipts）")
    add_store_options(parser)
    parser.set_defaults(handler=lambda args: call("run_import_bundle", args))
