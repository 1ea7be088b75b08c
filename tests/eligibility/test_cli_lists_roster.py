"""``yinling lists`` and ``yinling roster`` through the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from assessment.cli import main
from assessment.eligibility.registry import bundled_lists_dir
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR, create_demo_workspace

PROFILES = [
    {
        "person_id": "P1",
        "name": "张三",
        "birth_date": "1940-03-01",
        "residence_code": "140402",
        "dwelling": "community",
        "assistance_status": "dibao",
        "capability_grade": 2,
    },
    {"person_id": "P2", "name": "李四", "birth_date": "1970-03-01", "residence_code": "140105"},
    {
        "person_id": "P3",
        "name": "王五",
        "birth_date": "1944-07-01",
        "residence_code": "140902",
        "living": ["独居"],
        "disability_cert": "none",
    },
    {"person_id": "P4", "name": "赵六"},
]


def write_json(tmp_path: Path) -> Path:
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(PROFILES, ensure_ascii=False), encoding="utf-8")
    return path


def test_roster_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "roster.xlsx"
    code = main(
        ["roster", "--input", str(write_json(tmp_path)), "--as-of", "2025-06-01", "--out", str(out)]
    )
    assert code == 0
    assert "N02：符合 2 人，待核实 1 人" in capsys.readouterr().out
    sheets = pd.read_excel(out, sheet_name=None)
    assert "说明" in sheets
    assert "暂行清单" in sheets["说明"].to_string()
    n02 = sheets["N02"]
    assert list(n02.columns[:5]) == ["项目编号", "项目名称", "清单版本", "人员编号", "姓名"]
    assert list(n02["姓名"]) == ["张三", "王五", "赵六"]
    assert list(n02["结果"]) == ["符合", "符合", "待核实"]
    assert n02["待补充信息"].iloc[2] == "出生日期"
    assert n02["判断依据"].iloc[0].startswith("年龄 85 ≥ 80 ✓；")
    assert list(sheets["C140400-GMFW"]["姓名"]) == ["张三", "赵六"]


def test_roster_csv_one_item(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "roster.csv"
    code = main(
        [
            "roster",
            "--input",
            str(write_json(tmp_path)),
            "--as-of",
            "2025-06-01",
            "--out",
            str(out),
            "--item",
            "N07",
        ]
    )
    assert code == 0
    capsys.readouterr()
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert list(table["姓名"]) == ["张三", "王五", "赵六"]
    assert list(table["结果"]) == ["符合", "待核实", "待核实"]
    assert table["待补充信息"].iloc[1] == "救助身份"


def test_roster_from_csv_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "profiles.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "name",
                "birth_date",
                "assistance_status",
                "living",
                "disability_cert",
                "ltc_insured",
                "capability_grade",
            ]
        )
        writer.writerow(["甲", "1940-01-01", "最低生活保障对象", "独居", "肢体/2", "是", "3"])
        writer.writerow(["乙", "1960-01-01", "", "与配偶居住、与子女居住", "无", "否", ""])
    out = tmp_path / "roster.xlsx"
    assert (
        main(
            [
                "roster",
                "--input",
                str(source),
                "--as-of",
                "2025-06-01",
                "--out",
                str(out),
                "--item",
                "N14",
                "--item",
                "N11",
            ]
        )
        == 0
    )
    capsys.readouterr()
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets["N14"]["姓名"]) == ["甲"]
    assert list(sheets["N11"]["姓名"]) == ["甲", "乙"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2025-02-30"], "--as-of"),
        (["--item", "N99"], "N99"),
    ],
)
def test_roster_refuses_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "roster.xlsx"
    code = main(["roster", "--input", str(write_json(tmp_path)), "--out", str(out), *args])
    assert code == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_roster_refuses_bad_csv_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "profiles.csv"
    source.write_text("name,capability_grade\n甲,九\n", encoding="utf-8")
    code = main(["roster", "--input", str(source), "--out", str(tmp_path / "r.csv")])
    assert code == 1
    assert "第2行.capability_grade" in capsys.readouterr().err


def _supervisor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A demo workspace (no county) and the options that sign its supervisor in."""
    create_demo_workspace(tmp_path / "data", elders=1, seed=1)
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    return ["--data-dir", str(tmp_path / "data"), "--user", DEMO_SUPERVISOR]


def test_lists_install_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    data = yaml.safe_load((bundled_lists_dir() / "xinzhou.yaml").read_text(encoding="utf-8"))
    data.update(version="2026.1", effective_from="2026-01-01")
    path = tmp_path / "xinzhou-2026.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    lists_dir = tmp_path / "data" / "service_lists"
    assert main(["lists", "install", str(path), *_supervisor(tmp_path, monkeypatch)]) == 0
    assert "xinzhou@2026.1" in capsys.readouterr().out
    assert main(["lists", "show", "--as-of", "2026-03-01", "--lists-dir", str(lists_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    old = next(line for line in lines if line.startswith("xinzhou@2020.1"))
    new = next(line for line in lines if line.startswith("xinzhou@2026.1"))
    assert "施行" not in old
    assert "2026-03-01 施行" in new
    assert "本机安装（未经县级签发）" in new
    assert any(line.startswith("shanxi-provisional@") and "暂行" in line for line in lines)


def test_lists_install_refuses_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    data = yaml.safe_load((bundled_lists_dir() / "xinzhou.yaml").read_text(encoding="utf-8"))
    data["items"][0]["rule"] = "dwelling == tent"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["lists", "install", str(path), *_supervisor(tmp_path, monkeypatch)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err
    assert "C140900-GMFW" in err
    assert "tent" in err
