"""Fixtures of the store tests: real SQLCipher files in ``tmp_path``, no mocks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from assessment.forms import default_form
from assessment.identity import make_resident_id
from assessment.records.api import ElderProfile
from assessment.records.workspace import Workspace

PASSWORD = "secret-123"


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A new workspace signed in as supervisor ``admin``."""
    ws = Workspace.create(tmp_path / "data", username="admin", password=PASSWORD,
                          display_name="管理员", role="supervisor", device_code="TEST01")
    try:
        yield ws
    finally:
        ws.close()


def elder(name: str = "张三", *, sequence: int = 123, male: bool = True,
          birth: date = date(1945, 3, 1), area: str = "140421", village: str = "李家庄村",
          **extra: Any) -> ElderProfile:
    """A valid new elder profile."""
    return ElderProfile(
        elder_id="", name=name, id_number=make_resident_id(area, birth, sequence, male),
        sex=None, birth_date=None, township="荫城镇", village=village,
        address=f"{village}1号", phone=extra.pop("phone", "13912345678"),
        info=extra.pop("info", {"A.2.6": "汉族", "A.3.3": "张小三", "A.3.4": "13900001111"}),
        attributes=extra.pop("attributes", {"assistance_status": "dibao", "living": ["独居"]}),
        **extra,
    )


def complete_answers(base: Mapping[str, Any] | None = None,
                     overrides: Mapping[str, Any] | None = None, *,
                     score: str = "max") -> dict[str, Any]:
    """Answers that can be finalized: all 26 items, A.3.1/A.3.2, two assessors."""
    answers: dict[str, Any] = dict(base or {})
    for item in default_form().items:
        answers[item.key] = max(item.scores) if score == "max" else min(item.scores)
    if score != "max":
        answers["B.3.9.state"] = "昏睡"
    answers.update({"A.3.1": "张小三", "A.3.2": "子女", "sign.assessor_1": "admin",
                    "sign.assessor_2": "pinggu2"})
    answers.update(overrides or {})
    return answers
