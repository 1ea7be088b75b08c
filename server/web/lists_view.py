"""The service-list versions the county published for laptops to install, and the form that
publishes a new one from a YAML file (``lists.html``; checked first, see
:mod:`server.list_publishing`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from server.list_publishing import Published
from server.web.labels import UI, when

LISTS_URL = f"{UI}/lists"


def published_text(done: Published) -> str:
    """The message after publishing."""
    return (f"已发布服务清单 {done.list_id} 第 {done.version} 版：{done.title}"
            f"（{done.ref}，SHA-256 {done.sha256[:12]}…）。"
            "各乡镇的笔记本下次同步时下载、核对并安装。")


def listing(published: Sequence[Mapping[str, Any]], max_bytes: int, *, problem: str = "",
            filename: str = "") -> dict[str, Any]:
    """The published versions, newest first, and the upload form."""
    return {"lists_url": LISTS_URL, "max_kb": max_bytes // 1024, "problem": problem,
            "filename": filename, "published": [
                {"list_id": p["list_id"], "version": p["version"], "sha256": p["sha256"],
                 "short": str(p["sha256"])[:12], "at": when(p["published_at"])}
                for p in published]}
