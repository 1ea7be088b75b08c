"""``yinling serve``: run the county server (FastAPI on uvicorn).

The server package is optional on laptops, so the core names it only by string
(:func:`assessment.commands.countyside.call`); a laptop install without it says so clearly.
"""

from __future__ import annotations

import argparse

from assessment.commands.countyside import add_store_options, call


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve", help="运行县级服务器", description="运行县级服务器（接收笔记本同步与数据包）。"
        "首次启动时在数据目录中生成县级密钥和管理员令牌。")
    add_store_options(parser)
    parser.add_argument("--host", default="127.0.0.1",
                        help="监听地址（默认 127.0.0.1；对外服务请经 TLS 反向代理）")
    parser.add_argument("--port", type=int, default=8765, help="监听端口（默认 8765）")
    parser.set_defaults(handler=lambda args: call("run_serve", args))
