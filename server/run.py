"""Running the server under uvicorn (``yinling serve`` and ``python -m server``)."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from server.app import create_app
from server.config import DATA_DIR_ENV, DEFAULT_PORT, Settings, default_data_dir
from server.context import ServerContext
from server.logconfig import log_config
from server.memory import release_large_blocks


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``yinling serve`` and ``python -m server``."""
    parser.add_argument("--db", default="", help="数据库 URL（默认：数据目录中的 SQLite 文件；"
                        "生产环境用 postgresql+psycopg://用户@主机/库名）")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，"
                        "对外请经 nginx 等 TLS 反向代理）")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="监听端口")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir(),
                        help="数据目录：县级密钥、管理员令牌、回执、SQLite 数据库"
                        f"（默认 {default_data_dir()}，可用环境变量 {DATA_DIR_ENV} 指定）")
    parser.add_argument("--max-bundle-mb", type=int, default=512, help="数据包大小上限（MB）")
    add_workers_argument(parser)
    parser.add_argument("--public-url", default="", help="县级公开核验地址（评估报告二维码指向"
                        "其 /v/… 页面）")


def add_workers_argument(parser: argparse.ArgumentParser) -> None:
    """``--workers N`` (``yinling serve`` and ``python -m server``)."""
    parser.add_argument("--workers", type=int, default=1,
                        help="服务器进程数（默认 1；会话、随机数等都保存在数据库中，可多进程运行）")


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from parsed options."""
    return Settings(data_dir=args.data_dir, db_url=args.db, host=args.host, port=args.port,
                    max_bundle_bytes=args.max_bundle_mb * 1024 * 1024,
                    public_url=args.public_url, workers=args.workers)


SETTINGS_ENV = "YINLING_SERVER_SETTINGS"
"""How ``serve`` hands its settings to the worker processes uvicorn starts."""


def _settings_json(settings: Settings) -> str:
    values = {f.name: getattr(settings, f.name) for f in fields(settings)}
    values["data_dir"] = str(settings.data_dir)
    return json.dumps(values)


def worker_app() -> FastAPI:
    """The app of one worker process (``--workers N``): the schema was upgraded and the keys
    made by the parent before the workers started."""
    release_large_blocks()
    values = json.loads(os.environ[SETTINGS_ENV])
    values["data_dir"] = Path(values["data_dir"])
    return create_app(Settings(**values), migrate=False)


def serve(settings: Settings) -> int:
    """Run uvicorn until stopped; access log without query strings or bodies. With more than
    one worker the schema is upgraded once here, then uvicorn starts the processes."""
    release_large_blocks()
    common: dict[str, Any] = {"host": settings.host, "port": settings.port,
                              "log_config": log_config(), "server_header": False,
                              "timeout_graceful_shutdown": 10}
    if settings.workers <= 1:
        uvicorn.run(create_app(settings), **common)
        return 0
    ServerContext.open(settings).close()  # keys, data folder and schema, once
    os.environ[SETTINGS_ENV] = _settings_json(settings)
    uvicorn.run("server.run:worker_app", factory=True, workers=settings.workers, **common)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m server``."""
    parser = argparse.ArgumentParser(prog="python -m server", description="银龄评估县级服务器")
    add_arguments(parser)
    return serve(settings_from(parser.parse_args(argv)))
