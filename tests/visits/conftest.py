"""Fixtures of the visit tests: a real workspace (SQLCipher in ``tmp_path``) with elders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from assessment.records.api import ElderProfile
from assessment.records.workspace import Workspace
from tests.records.conftest import PASSWORD, elder

TODAY = date.today()


def visit(**changes: Any) -> dict[str, Any]:
    """A valid visit entry dated today."""
    entry: dict[str, Any] = {
        "visit_date": TODAY.isoformat(), "method": "上门", "visitor": "王村医",
        "checklist": {"生活": {"checked": True, "note": "能自理"},
                      "安全": {"checked": True, "note": "煤炉无烟囱"},
                      "健康": {"checked": True, "note": ""}, "精神": {"checked": False},
                      "赡养": {"checked": True, "note": "子女每月回来"}},
        "risk": "medium", "referrals": [], "emergency": False, "change_found": False,
    }
    entry.update(changes)
    return entry


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A supervisor's workspace with three elders in two villages."""
    ws = Workspace.create(tmp_path / "data", username="admin", password=PASSWORD,
                          display_name="管理员", role="supervisor", device_code="TEST01")
    try:
        yield ws
    finally:
        ws.close()


def add_elders(ws: Workspace) -> list[ElderProfile]:
    """张三 (独居, 81: 高风险), 李四 (与子女居住, 城镇: not in the plan), 王五 (与配偶: 一般)."""
    people = [
        elder("张三", sequence=101, birth=date(1940, 3, 1),
              attributes={"assistance_status": "none", "living": ["独居"]}),
        elder("李四", sequence=102, birth=date(1950, 3, 1), village="王家庄村",
              attributes={"assistance_status": "none", "living": ["与子女居住"],
                          "area_type": "urban", "fp_special_family": "none",
                          "disability_cert": "none"}),
        elder("王五", sequence=105, birth=date(1950, 4, 2), village="王家庄村",
              attributes={"assistance_status": "none", "living": ["与配偶居住"],
                          "fp_special_family": "none", "disability_cert": "none"}),
    ]
    return [ws.elders.create(p) for p in people]
