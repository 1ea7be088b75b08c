"""``yinling visits`` on a real workspace: the plan printed, the sheet PDF read back with
pdftotext, the workbooks read back with pandas, bad input refused."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from assessment.cli import main
from assessment.records.workspace import Workspace
from tests.records.conftest import PASSWORD
from tests.visits.conftest import TODAY, add_elders, visit


@pytest.fixture
def cli_env(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("YINLING_USER", "admin")
    monkeypatch.setenv("YINLING_PASSWORD", PASSWORD)
    monkeypatch.setenv("YINLING_DATA_DIR", str(workspace.data_dir))
    return workspace


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["visits", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_due_lists_each_village_and_the_sheet_reads_back(
        cli_env: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _zhang, _, wang = add_elders(cli_env)
    cli_env.visits.record(wang.elder_id, visit())
    code, out, err = run(capsys, "due")
    assert (code, err) == (0, "")
    assert "应探访 3 人，本期已探访 1" in out
    assert "张三" in out
    assert "从未探访" in out
    code, out, _ = run(capsys, "due", "--village", "李家庄村")
    assert code == 0
    assert "张三" in out
    assert "王五" not in out
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext 未安装")
    sheet = tmp_path / "sheet.pdf"
    code, out, _ = run(capsys, "due", "--out", str(sheet))
    assert code == 0
    text = subprocess.run(["pdftotext", "-layout", str(sheet), "-"], check=True,
                          capture_output=True, text=True).stdout
    pages = text.split("\f")
    assert "探访关爱计划表" in pages[0]
    assert "李家庄村" in pages[0]
    assert "王家庄村" in pages[1]  # one village per page
    assert "张三" in pages[0]
    assert "高风险" in pages[0]
    assert "王五" not in text  # visited this period: counted, not listed
    assert "本期已探访 1 人" in pages[1]


def test_due_workbook_and_stats_workbook(
        cli_env: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, wang = add_elders(cli_env)
    cli_env.visits.record(wang.elder_id, visit(referrals=[
        {"kind": "department", "target": "县民政局", "note": "申请临时救助"}]))
    book = tmp_path / "due.xlsx"
    assert run(capsys, "due", "--out", str(book))[0] == 0
    due = pd.read_excel(book, sheet_name=None)
    (sheet,) = due.values()
    assert set(sheet["姓名"]) == {"张三", "李四", "王五"}
    month = TODAY.strftime("%Y-%m")
    code, out, _ = run(capsys, "stats", "--month", month)
    assert code == 0
    assert f"{month} 月探访率 33.3%" in out
    assert "口径：" in out
    assert "未保存历史" in out  # a past month's tiers use today's attributes: said so
    stats = tmp_path / "stats.xlsx"
    assert run(capsys, "stats", "--month", month, "--out", str(stats))[0] == 0
    sheets = pd.read_excel(stats, sheet_name=None)
    table = sheets[f"月探访率 {month}"]
    about = dict(zip(sheets["说明"]["项目"], sheets["说明"]["内容"], strict=True))
    assert about["月份"] == month
    assert "按当前记录计算" in about["计算口径"]
    total = table.iloc[-1]
    assert (total["乡镇（街道）"], total["应探访人数"], total["本月已探访人数"]) == ("合计", 3, 1)
    assert total["转介未办结"] == 1


def test_record_and_close_referral_from_the_command_line(
        cli_env: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zhang, _, _ = add_elders(cli_env)
    entry = tmp_path / "visit.json"
    entry.write_text(json.dumps(visit(referrals=[
        {"kind": "item", "target": "N12", "note": "加装扶手"}])), encoding="utf-8")
    code, out, err = run(capsys, "record", "--elder", zhang.id_number or "", str(entry))
    assert (code, err) == (0, ""), err
    assert "分级 高风险" in out
    code, out, _ = run(capsys, "referrals", "--open")
    referral_id = out.split("\t")[0]
    assert "加装扶手" in out
    code, out, _ = run(capsys, "close-referral", referral_id, "--outcome", "已纳入改造")
    assert code == 0
    assert run(capsys, "referrals", "--open")[1] == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("stats", "--month", "2026-13"), "月份"),
        (("due", "--as-of", "2026-02-30"), "--as-of"),
        (("due", "--village", "月球村"), "月球村"),
        (("due", "--out", "plan.doc"), ".pdf 或 .xlsx"),
        (("stats", "--month", "2026-01", "--out", "s.csv"), ".xlsx"),
        (("close-referral", "no-such-id", "--outcome", "x"), "转介"),
    ],
)
def test_bad_arguments_are_refused_in_chinese(
        cli_env: Workspace, capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
        message: str) -> None:
    add_elders(cli_env)
    code, out, err = run(capsys, *args)
    assert code == 1
    assert out == ""
    assert err.startswith("错误：")
    assert message in err


def test_a_bad_visit_file_is_refused_naming_each_field(
        cli_env: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zhang, _, _ = add_elders(cli_env)
    entry = tmp_path / "visit.json"
    entry.write_text(json.dumps(visit(method="飞鸽", risk="极高", visitor="",
                                      checklist={"生活": {"checked": "yes"}}, colour=1)),
                     encoding="utf-8")
    code, out, err = run(capsys, "record", "--elder", zhang.elder_id, str(entry))
    assert (code, out) == (1, "")
    for field in ("method", "risk", "visitor", "checklist.生活.checked", "colour"):
        assert field in err
    assert cli_env.visits.visits_for(zhang.elder_id) == []
