"""Reading JSON input for the command line: a file path or ``-`` for standard input."""

from __future__ import annotations

import json
import sys
from typing import Any

from assessment.errors import InputRejected, Problem


def read_json_source(source: str) -> Any:
    """Parse JSON from ``source`` (a path, or ``-`` for standard input).

    Raises :class:`InputRejected` with a Chinese message when the file cannot be read or is
    not valid JSON (the line and column are named).
    """
    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as exc:
        problem = Problem("", "unreadable", f"无法读取输入文件 {source}：{exc.strerror}")
        raise InputRejected([problem]) from exc
    except UnicodeDecodeError as exc:
        problem = Problem("", "encoding", f"输入文件 {source} 不是 UTF-8 编码")
        raise InputRejected([problem]) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}"
        raise InputRejected([Problem("", "json", message)]) from exc


def dump_json(value: Any) -> str:
    """Serialise ``value`` as compact UTF-8 JSON (Chinese kept readable)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
