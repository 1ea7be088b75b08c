"""The ``yinling match`` contract (spec service-lists.md §6)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from assessment.cli import main


def run_match(
    tmp_path: Path, payload: Any, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    path = tmp_path / "in.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), encoding="utf-8")
    code = main(["match", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def test_one_object_gives_one_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_match(
        tmp_path, {"birth_date": "1944-05-01", "as_of": "2026-11-22"}, capsys
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["as_of"] == "2026-11-22"
    assert data["list"].startswith("shanxi-provisional@")
    n02 = next(i for i in data["items"] if i["id"] == "N02")
    assert n02 == n02 | {"name": "高龄津贴", "result": "eligible", "missing": []}
    assert n02["reasons"][0] == "年龄 82 ≥ 80 ✓"
    ids = [i["id"] for i in data["items"]]
    assert ids[:16] == [f"N{n:02d}" for n in range(1, 16)] + ["V2026"]
    assert {"C140400-GMFW", "C140900-CWBT"} <= set(ids)  # residence unknown


def test_array_gives_array_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = [
        {"birth_date": "1930-01-01", "residence_code": "140402", "as_of": "2025-01-01"},
        {"birth_date": "1970-01-01", "residence_code": "140105", "as_of": "2025-01-01"},
        {"birth_date": "1950-01-01"},
    ]
    code, out, _ = run_match(tmp_path, payload, capsys)
    assert code == 0
    data = json.loads(out)
    assert [d["items"][1]["result"] for d in data[:2]] == ["eligible", "not_eligible"]
    assert "C140400-GMFW" in [i["id"] for i in data[0]["items"]]
    assert not [i for i in data[1]["items"] if i["id"].startswith("C")]
    assert data[2]["as_of"]  # default: today


def test_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"capability_grade": 3, "ltc_insured": true}'))
    assert main(["match", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert next(i for i in data["items"] if i["id"] == "N14")["result"] == "eligible"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"birth_date": "1950-01-01", "income": 3}, "income"),
        ({"capability_grade": "2"}, "capability_grade"),
        ({"capability_grade": 7}, "capability_grade"),
        ({"ltc_insured": "yes"}, "ltc_insured"),
        ({"birth_date": "1945-02-30"}, "birth_date"),
        ({"birth_date": "01/02/1945"}, "birth_date"),
        ({"assistance_status": "rich"}, "assistance_status"),
        ({"living": ["独居", "在月球"]}, "living"),
        ({"living": "独居"}, "living"),
        ({"residence_code": "1404"}, "residence_code"),
        ({"disability_cert": {"category": "肢体", "grade": 9}}, "disability_cert"),
        ({"disability_cert": {"colour": "red"}}, "disability_cert"),
        ({"as_of": "2025-13-01"}, "as_of"),
        ({"birth_date": "2030-01-01", "as_of": "2025-01-01"}, "birth_date"),
        ([{"birth_date": "1950-01-01"}, {"sex": "x"}], "[1].sex"),
        ([{"birth_date": "1950-01-01"}, 3], "[1]"),
        (5, "输入"),
        ("{not json", "JSON"),
    ],
)
def test_invalid_input_exits_1_and_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], payload: Any, field: str
) -> None:
    code, out, err = run_match(tmp_path, payload, capsys)
    assert code == 1
    assert out == ""
    assert field in err
    assert err.startswith("错误：")


def test_labels_are_accepted_for_enum_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_match(
        tmp_path, {"birth_date": "1950-01-01", "assistance_status": "最低生活保障对象"}, capsys
    )
    assert code == 0
    n07 = next(i for i in json.loads(out)["items"] if i["id"] == "N07")
    assert n07["result"] == "eligible"


def test_missing_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", str(tmp_path / "none.json")]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "无法读取" in err
