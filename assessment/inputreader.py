"""The one reader for JSON and YAML input, with limits (size, nesting, integer digits, text).

Everything the program reads from outside — files given to the command line, list files,
roster files, bundle manifests and payloads, request bodies on the county server — goes
through this module, so that hostile input is refused the same way everywhere: with
:class:`~assessment.errors.InputRejected` carrying a Chinese :class:`~assessment.errors.Problem`
that names the field (a path such as ``[3].items.B.1.1``) or the line and column, never with a
traceback, a ``RecursionError`` or a gigabyte of memory.

API (small on purpose)::

    parse_json(data, limits=DEFAULT_LIMITS, source="输入")   # bytes | str -> value
    parse_yaml(data, limits=DEFAULT_LIMITS, source="输入")   # bytes | str -> value
    read_json(path_or_dash, limits=DEFAULT_LIMITS)           # file or "-" (stdin) -> value
    read_yaml(path, limits=DEFAULT_LIMITS)                   # file -> value
    read_bytes(path_or_dash, max_bytes, source=None)         # size refused before reading

Limits are a frozen :class:`Limits`; derive a variant with ``dataclasses.replace`` or
:meth:`Limits.with_max_bytes`. Problem codes are stable: ``too_large``, ``too_deep``,
``int_digits``, ``string_length``, ``unreadable``, ``encoding``, ``json``, ``yaml``,
``alias`` (a recursive YAML alias; aliases that expand beyond ``max_nodes`` are
``too_large``) and ``number`` (NaN/Infinity). A server maps ``too_large`` to 413
and the rest to 400.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from assessment.errors import InputRejected, Problem

__all__ = [
    "DEFAULT_LIMITS", "Limits", "parse_json", "parse_yaml", "read_bytes", "read_json",
    "read_yaml",
]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one input document.

    ``max_bytes``: encoded size; ``max_depth``: nesting of arrays/objects (the top level is
    1); ``max_int_digits``: digits of any integer; ``max_string``: characters of any string
    (keys included); ``max_nodes``: values in a YAML document with its aliases expanded.
    """

    max_bytes: int = 32 * 1024 * 1024
    max_depth: int = 64
    max_int_digits: int = 30
    max_string: int = 64 * 1024
    max_nodes: int = 2_000_000

    def with_max_bytes(self, max_bytes: int) -> Limits:
        """The same limits with another size bound."""
        return replace(self, max_bytes=max_bytes)


DEFAULT_LIMITS = Limits()


def _reject(field: str, code: str, message: str) -> InputRejected:
    return InputRejected([Problem(field, code, message)])


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} 字节"


def _too_large(source: str, size: int | None, max_bytes: int) -> InputRejected:
    got = f"（{_size_text(size)}）" if size is not None else ""
    return _reject(source, "too_large", f"输入过大{got}，最多 {_size_text(max_bytes)}")


def read_bytes(source: str | Path, max_bytes: int, name: str | None = None) -> bytes:
    """Read a file (or ``-`` for standard input) refusing it by size before reading it whole.

    A regular file larger than ``max_bytes`` is refused from its size alone; anything else
    (a pipe, a device) is read at most ``max_bytes + 1`` bytes, so memory stays bounded.
    """
    label = name if name is not None else str(source)
    data: bytes
    try:
        if str(source) == "-":
            binary = getattr(sys.stdin, "buffer", None)
            if binary is not None:
                data = bytes(binary.read(max_bytes + 1))
            else:  # a text stream stands in for standard input (embedding, tests)
                data = sys.stdin.read(max_bytes + 1).encode("utf-8")
        else:
            with open(source, "rb") as file:
                info = os.fstat(file.fileno())
                if stat.S_ISDIR(info.st_mode):
                    raise _reject(label, "unreadable", f"无法读取输入文件 {label}：这是文件夹")
                if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
                    raise _too_large(label, info.st_size, max_bytes)
                data = file.read(max_bytes + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _reject(label, "unreadable", f"无法读取输入文件 {label}：{reason}") from exc
    if len(data) > max_bytes:
        raise _too_large(label, None, max_bytes)
    return data


def _decode(data: bytes | bytearray | str, source: str, limits: Limits) -> str:
    if isinstance(data, str):
        if len(data) > limits.max_bytes:
            raise _too_large(source, len(data), limits.max_bytes)
        return data
    if len(data) > limits.max_bytes:
        raise _too_large(source, len(data), limits.max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _reject(source, "encoding",
                      f"{source} 不是 UTF-8 编码（第 {line} 行附近）") from exc


# --- JSON ---------------------------------------------------------------------------------

_JSON_BRACKETS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class _LongNumber(str):
    """Stands for a number literal with too many digits until the walk names its path."""


class _BadConstant(str):
    """Stands for NaN/Infinity until the walk names its path."""


def _json_too_deep(text: str, limits: Limits, source: str) -> InputRejected:
    """Name the line and column where nesting first goes deeper than allowed."""
    depth = 0
    position = 0
    for match in _JSON_BRACKETS.finditer(text):
        token = match.group()
        if token[0] == '"':
            continue
        depth += _DEPTH_STEP[token]
        if depth > limits.max_depth:
            position = match.start()
            break
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return _reject(source, "too_deep",
                   f"嵌套层数超过 {limits.max_depth} 层（第 {line} 行第 {column} 列）")


def _make_number_hook(limits: Limits) -> Any:
    def parse_int(text: str) -> Any:
        if len(text.lstrip("-")) > limits.max_int_digits:
            return _LongNumber(text)
        return int(text)

    def parse_float(text: str) -> Any:
        if len(text) > limits.max_int_digits + 20:
            return _LongNumber(text)
        value = float(text)
        return value if math.isfinite(value) else _BadConstant(text)  # 1e999 is infinite

    return parse_int, parse_float


def _parse_constant(text: str) -> Any:
    return _BadConstant(text)


def _child_path(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _walk(value: Any) -> Iterator[tuple[str, Any, bool, int]]:
    """Yield ``(path, value, is_key, depth)`` for every node, iteratively (no recursion)."""
    stack: list[tuple[str, Any, int]] = [("", value, 1)]
    while stack:
        path, node, depth = stack.pop()
        yield path, node, False, depth
        if isinstance(node, dict):
            for key, child in node.items():
                yield _child_path(path, key), key, True, depth
                stack.append((_child_path(path, key), child, depth + 1))
        elif isinstance(node, list):
            stack.extend((_child_path(path, i), child, depth + 1) for i, child in enumerate(node))


def _looks_wrong(value: Any, limits: Limits) -> bool:
    """Fast pass without paths, level by level: is anything over a limit?"""
    longest = limits.max_string
    level: list[Any] = [value]
    depth = 0
    while level:
        depth += 1
        below: list[Any] = []
        for node in level:
            kind = type(node)
            if kind is dict:
                if depth > limits.max_depth or (node and _longest_key(node) > longest):
                    return True
                below.extend(node.values())
            elif kind is list:
                if depth > limits.max_depth:
                    return True
                below.extend(node)
            elif kind is str:
                if len(node) > longest:
                    return True
            elif kind is _LongNumber or kind is _BadConstant:
                return True
        level = below
    return False


def _longest_key(node: dict[Any, Any]) -> int:
    try:
        return max(map(len, node))
    except TypeError:  # YAML keys may be numbers; their text was bounded when composed
        return max(len(k) for k in node if isinstance(k, str)) if any(
            isinstance(k, str) for k in node) else 0


def _shown(path: str) -> str:
    return path if len(path) <= 120 else path[:60] + "…" + path[-40:]


def _check_values(value: Any, limits: Limits, source: str) -> None:
    if not _looks_wrong(value, limits):
        return
    problems: list[Problem] = []
    for path, node, is_key, depth in _walk(value):
        where = _shown(path) if path else source
        if isinstance(node, _LongNumber):
            problems.append(Problem(where, "int_digits",
                                    f"数字位数过多（{len(node)} 位，最多 "
                                    f"{limits.max_int_digits} 位）"))
        elif isinstance(node, _BadConstant):
            problems.append(Problem(where, "number", f"不是有效的数字：{node}"))
        elif isinstance(node, str) and len(node) > limits.max_string:
            what = "键名" if is_key else "文本"
            problems.append(Problem(where, "string_length",
                                    f"{what}过长（{len(node)} 个字符，最多 "
                                    f"{limits.max_string} 个）"))
        elif isinstance(node, dict | list) and not is_key and depth > limits.max_depth:
            problems.append(Problem(where, "too_deep", f"嵌套层数超过 {limits.max_depth} 层"))
            break
        if len(problems) >= 20:
            break
    if problems:
        raise InputRejected(problems)


def parse_json(data: bytes | bytearray | str, limits: Limits = DEFAULT_LIMITS,
               source: str = "输入") -> Any:
    """Parse JSON within ``limits``; raise :class:`InputRejected` naming the path at fault."""
    text = _decode(data, source, limits)
    parse_int, parse_float = _make_number_hook(limits)
    try:
        value = json.loads(text, parse_int=parse_int, parse_float=parse_float,
                           parse_constant=_parse_constant)
    except json.JSONDecodeError as exc:
        message = f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}"
        raise _reject(source, "json", message) from exc
    except RecursionError as exc:  # the C parser guards its own recursion
        raise _json_too_deep(text, limits, source) from exc
    _check_values(value, limits, source)
    return value


def read_json(source: str | Path, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Read JSON from a file path, or ``-`` for standard input, within ``limits``."""
    label = "标准输入" if str(source) == "-" else str(source)
    return parse_json(read_bytes(source, limits.max_bytes, label), limits, label)


# --- YAML ---------------------------------------------------------------------------------

class _YamlRefused(Exception):
    def __init__(self, code: str, message: str, mark: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.mark = mark


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that refuses deep nesting, recursive or expanding aliases, long integers and
    long text.

    Aliases are allowed (YAML writers emit them for repeated values) but the document's size
    with every alias expanded is counted while it is composed, so an alias bomb ("billion
    laughs") is refused long before anything walks it.
    """

    limits: Limits = DEFAULT_LIMITS

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> nodes it stands for, aliases expanded

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.check_event(yaml.Event)  # peeks: the next event is now current_event
        event = self.current_event
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._sizes:
                raise _YamlRefused("alias", "YAML 别名指向其自身（递归），不允许",
                                   event.start_mark)
        if isinstance(event, yaml.ScalarEvent) and len(event.value) > self.limits.max_string:
            raise _YamlRefused("string_length",
                               f"文本过长（{len(event.value)} 个字符，最多 "
                               f"{self.limits.max_string} 个）", event.start_mark)
        self._depth += 1
        try:
            if self._depth > self.limits.max_depth:
                raise _YamlRefused("too_deep", f"嵌套层数超过 {self.limits.max_depth} 层",
                                   event.start_mark)
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if id(node) not in self._sizes:
            self._sizes[id(node)] = self._expanded_size(node, event.start_mark)
        return node

    def _expanded_size(self, node: Any, mark: Any) -> int:
        sizes = self._sizes
        if isinstance(node, yaml.SequenceNode):
            size = 1 + sum(sizes.get(id(child), 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            size = 1 + sum(sizes.get(id(k), 1) + sizes.get(id(v), 1) for k, v in node.value)
        else:
            size = 1
        if size > self.limits.max_nodes:
            raise _YamlRefused("too_large", f"展开别名后内容过多（超过 {self.limits.max_nodes} "
                               "个值），可能是恶意构造的文件", mark)
        return size


def _construct_limited_int(loader: _LimitedLoader, node: yaml.ScalarNode) -> Any:
    digits = sum(ch.isdigit() for ch in str(node.value))
    if digits > loader.limits.max_int_digits:
        raise _YamlRefused("int_digits",
                           f"整数位数过多（{digits} 位，最多 {loader.limits.max_int_digits} 位）",
                           node.start_mark)
    return loader.construct_yaml_int(node)


_LimitedLoader.add_constructor("tag:yaml.org,2002:int", _construct_limited_int)


def _mark_text(mark: Any) -> str:
    if mark is None:
        return ""
    return f"（第 {mark.line + 1} 行第 {mark.column + 1} 列）"


def parse_yaml(data: bytes | str, limits: Limits = DEFAULT_LIMITS, source: str = "输入") -> Any:
    """Parse one YAML document within ``limits`` (safe types only, no aliases)."""
    text = _decode(data, source, limits)
    loader_class = type("_Loader", (_LimitedLoader,), {"limits": limits})
    try:  # the loader reads the text when made: a control character is refused there
        loader = loader_class(text)
    except yaml.YAMLError as exc:
        raise _reject(source, "yaml", f"YAML 格式错误：{exc}") from exc
    try:
        value = loader.get_single_data()
    except _YamlRefused as exc:
        raise _reject(source, exc.code, exc.message + _mark_text(exc.mark)) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = exc.problem or exc.context or "格式错误"
        raise _reject(source, "yaml", f"YAML 格式错误{_mark_text(mark)}：{reason}") from exc
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise _reject(source, "yaml", f"YAML 格式错误：{exc}") from exc
    finally:
        loader.dispose()
    _check_values(value, limits, source)
    return value


def read_yaml(source: str | Path, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Read one YAML document from a file within ``limits``."""
    label = str(source)
    return parse_yaml(read_bytes(source, limits.max_bytes, label), limits, label)
