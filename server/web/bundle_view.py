"""The bundle upload page (``bundles.html``), the result of one import
(``bundle_result.html``) and a refused bundle (``bundle_refused.html``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from server.bundles import ImportOutcome
from server.web.labels import UI, when
from server.web.lookups import Names


def receipt_url(bundle_id: str) -> str:
    """Where the signed receipt of a bundle is downloaded."""
    return f"{UI}/receipts/{bundle_id}"


def upload_form(max_bytes: int, recent: Sequence[Mapping[str, Any]],
                names: Names) -> dict[str, Any]:
    """The upload form and the latest receipts."""
    return {"max_mb": max_bytes // (1024 * 1024), "receipts": [
        {"created_at": when(r["created_at"]), "device": names.device(r["device_id"]),
         "range": f"{r['seq_from']}–{r['seq_to']}", "acked_seq": r["acked_seq"],
         "url": receipt_url(str(r["bundle_id"]))} for r in recent]}


def result(outcome: ImportOutcome, names: Names) -> dict[str, Any]:
    """What one accepted bundle did, with the receipt to download."""
    receipt, applied = outcome.receipt, outcome.result
    gaps = "、".join(f"{a}–{b}" for a, b in applied.gaps) if applied.gaps else "无"
    return {"applied": applied, "bundle_id": receipt.bundle_id,
            "receipt_url": receipt_url(receipt.bundle_id), "facts": [
                ("设备", names.device(receipt.device_id)), ("数据包编号", receipt.bundle_id),
                ("序号范围", f"{receipt.seq_from}–{receipt.seq_to}"),
                ("新增", f"{applied.applied} 条"),
                ("重复（已导入过）", f"{applied.duplicates} 条"),
                ("隔离", f"{applied.quarantined} 条"), ("确认到序号", receipt.acked_seq),
                ("缺少的序号", gaps)]}
