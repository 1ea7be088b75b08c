"""The visit-plan versions the county published for laptops to install, and the form that
publishes a new one from a YAML file (``visit_plans.html``; checked first, see
:mod:`server.visit_plans`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from server.visit_plans import PublishedPlan
from server.web.labels import UI, when

PLANS_URL = f"{UI}/visit-plans"


def published_text(done: PublishedPlan) -> str:
    """The message after publishing."""
    return (f"已发布探访计划 {done.ref}：{done.title}（自 {done.effective_from} 起施行，"
            f"SHA-256 {done.sha256[:12]}…）。各乡镇的笔记本下次同步时下载、核对并安装。")


def listing(published: Sequence[Mapping[str, Any]], in_force: str, max_bytes: int, *,
            problem: str = "", filename: str = "") -> dict[str, Any]:
    """The published versions, newest first, the version in force today and the form."""
    return {"plans_url": PLANS_URL, "max_kb": max_bytes // 1024, "problem": problem,
            "filename": filename, "in_force": in_force, "published": [
                {"ref": p["ref"], "sha256": p["sha256"], "short": str(p["sha256"])[:12],
                 "at": when(p["published_at"])} for p in reversed(published)]}
