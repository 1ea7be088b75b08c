"""Enrolled devices (``devices.html``), and the confirmation step before one is revoked
(``device_revoke.html``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from server.web.labels import UI, when


def revoke_url(device_id: str) -> str:
    """The confirmation page of revoking one device."""
    return f"{UI}/devices/{quote(device_id, safe='')}/revoke"


def _township(device: Mapping[str, Any], townships: Mapping[str, str]) -> str:
    code = str(device["township"])
    return f"{townships[code]}（{code}）" if code in townships else code


def listing(devices: Sequence[Mapping[str, Any]], townships: Mapping[str, str]
            ) -> dict[str, Any]:
    """Every enrolled device (``townships``: name by code)."""
    rows = [{"label": d["label"], "code": d.get("device_code") or d["device_id"],
             "township": _township(d, townships), "account": d["account"],
             "seq": f"{d['acked_seq']} / {d['max_seq']}", "enrolled": when(d["enrolled_at"]),
             "seen": when(d["last_seen_at"]) or "从未联系", "revoked": bool(d["revoked"]),
             "revoke_url": revoke_url(str(d["device_id"]))} for d in devices]
    return {"devices": rows, "active": sum(1 for d in devices if not d["revoked"])}


def confirm(device: Mapping[str, Any]) -> dict[str, Any]:
    """Are you sure? — with the facts of the device."""
    return {"revoke_url": revoke_url(str(device["device_id"])), "facts": [
        ("设备名称", device["label"]), ("设备代码", device.get("device_code", "")),
        ("设备编号（完整）", device["device_id"]),
        ("乡镇", device["township"]), ("账号", device["account"]),
        ("最近联系", when(device["last_seen_at"]) or "从未联系")]}
