"""Shared plumbing of the county-side subcommands (``serve``, ``county``, ``import-bundle``).

Their work is done by :mod:`server.cli`, imported by name at run time: the core never
depends on the server package (DESIGN.md §3.1), and a laptop install without it gets a clear
message instead of a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

SERVER_CLI = "server.cli"


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """``--data-dir``, ``--db`` and the bundle size limit."""
    parser.add_argument("--data-dir", type=Path, default=Path("county-data"),
                        help="县级数据目录：密钥、管理员令牌、回执、默认 SQLite 数据库"
                        "（默认 ./county-data）")
    parser.add_argument("--db", default="", help="数据库 URL，例如 "
                        "postgresql+psycopg://yinling@127.0.0.1/yinling（默认数据目录中的 SQLite）")
    parser.add_argument("--max-bundle-mb", type=int, default=512,
                        help="数据包大小上限（MB，默认 512）")


def call(function: str, args: argparse.Namespace) -> int:
    """Run ``server.cli.<function>(args)``; exit code 3 when the server is not installed."""
    try:
        module = importlib.import_module(SERVER_CLI)
    except ModuleNotFoundError:
        print("错误：本机未安装县级服务器组件（server 包）", file=sys.stderr)
        return 3
    code: int = getattr(module, function)(args)
    return code
