"""Enrolled devices, and the confirmation step before one is revoked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from server.web.html import Html, fmt, join, link, table
from server.web.labels import UI, when
from server.web.layout import csrf_field


def revoke_url(device_id: str) -> str:
    """The confirmation page of revoking one device."""
    return f"{UI}/devices/{quote(device_id, safe='')}/revoke"


def _state(device: Mapping[str, Any]) -> Html:
    if device["revoked"]:
        return Html('<span class="tag bad">已停用</span>')
    return fmt('<span class="tag">在用</span> {}',
               link(revoke_url(str(device["device_id"])), "停用…", "noprint"))


def _township(device: Mapping[str, Any], townships: Mapping[str, str]) -> str:
    code = str(device["township"])
    return f"{townships[code]}（{code}）" if code in townships else code


def listing(devices: Sequence[Mapping[str, Any]], townships: Mapping[str, str]) -> Html:
    """Every enrolled device (``townships``: name by code)."""
    rows = [[d["label"], fmt("<code>{}</code>", d.get("device_code") or d["device_id"]),
             _township(d, townships),
             d["account"],
             f"{d['acked_seq']} / {d['max_seq']}", when(d["enrolled_at"]),
             when(d["last_seen_at"]) or "从未联系", _state(d)] for d in devices]
    active = sum(1 for d in devices if not d["revoked"])
    return fmt('<h1>已登记设备</h1><p>共 {} 台，在用 {} 台。</p>'
               '<p class="hint">“已确认 / 最大序号”不相等，说明服务器缺少该设备中间的变更'
               '（见序号缺口）。'
               '设备丢失或报废时请停用：此后该设备的请求和数据包一律拒绝。</p>{}',
               len(devices), active,
               table(["设备名称", "设备代码", "乡镇", "账号", "已确认 / 最大序号", "登记时间",
                      "最近联系", "状态"], rows, empty="尚未登记任何设备。"))


def confirm(device: Mapping[str, Any], csrf: str) -> Html:
    """Are you sure? — with the facts of the device and a POST form."""
    facts = [("设备名称", device["label"]), ("设备代码", device.get("device_code", "")),
             ("设备编号（完整）", device["device_id"]),
             ("乡镇", device["township"]), ("账号", device["account"]),
             ("最近联系", when(device["last_seen_at"]) or "从未联系")]
    rows = join(fmt("<dt>{}</dt><dd>{}</dd>", k, v) for k, v in facts)
    return fmt('<h1>停用设备</h1><dl class="facts">{}</dl>'
               '<p class="flash error">停用后，该设备的联网同步和数据包都会被拒绝，且无法撤销；'
               '如需继续使用须重新登记。设备若仍在手边，请先导出并导入其尚未送达的变更。</p>'
               '<form method="post" action="{}">{}<input type="hidden" name="confirm" value="yes">'
               '<button class="danger" type="submit">确认停用</button> '
               '<a class="button" href="{}/devices">取消</a></form>',
               rows, revoke_url(str(device["device_id"])), csrf_field(csrf), UI)
