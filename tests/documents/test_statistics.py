"""Statistics tables from small explicit frames, and the Excel export read back."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assessment.documents.exports import read_statistics_xlsx, write_statistics_xlsx
from assessment.documents.statistics import (
    DUE_NOW,
    DUE_SOON,
    NEVER,
    OTHER_AGE_SEX,
    TOTAL,
    TOWNSHIP,
    VILLAGE,
    Statistics,
    StatisticsInput,
    ages_on,
    compute_statistics,
)

AS_OF = date(2026, 11, 22)


def sample_input() -> StatisticsInput:
    elders = pd.DataFrame({
        "elder_id": ["a", "b", "c", "d", "e", "f"],
        "name": ["甲", "乙", "丙", "丁", "戊", "己"],
        "township": ["老顶山镇", "老顶山镇", "老顶山镇", "大辛庄镇", "大辛庄镇", None],
        "village": ["西长井村", "西长井村", "东长井村", "马厂村", "马厂村", None],
        "sex": ["男", "女", "女", "男", None, "女"],
        "birth_date": [date(1956, 11, 22), date(1956, 11, 23), date(1940, 1, 1),
                       date(1930, 6, 1), date(1950, 1, 1), None],
        "current_grade": [0, 2, 2, 4, None, 1],
        "last_assessed": [date(2025, 11, 1), date(2026, 3, 1), date(2025, 12, 10),
                          date(2026, 1, 1), None, date(2025, 1, 1)],
    })
    assessments = pd.DataFrame({
        "assessment_id": ["x1", "x2", "x3", "x4", "x5"],
        "elder_id": ["a", "b", "c", "d", "f"],
        "reference_date": pd.to_datetime(["2025-11-01", "2026-03-01", "2025-12-10",
                                          "2026-01-01", "2025-01-01"]),
        "reason": ["首次评估", "常规评估", "即时评估", "首次评估", "其他"],
        "final_grade": [0, 2, 2, 4, 1],
    })
    eligibility = pd.DataFrame({
        "N01": ["eligible", "eligible", "eligible", "eligible", "undetermined", None],
        "N02": ["not_eligible", "not_eligible", "eligible", "eligible", "undetermined", None],
    }, index=pd.Index(["a", "b", "c", "d", "e", "f"], name="elder_id"))
    return StatisticsInput(elders, assessments, eligibility,
                           {"N01": "老年人能力综合评估", "N02": "高龄津贴"})


@pytest.fixture
def stats() -> Statistics:
    return compute_statistics(sample_input(), as_of=AS_OF, start=date(2026, 1, 1), end=AS_OF)


def row(table: pd.DataFrame, township: str, village: str) -> pd.Series:
    found = table[(table[TOWNSHIP] == township) & (table[VILLAGE] == village)]
    assert len(found) == 1
    return found.iloc[0]


def test_ages_are_whole_years() -> None:
    ages = ages_on(pd.Series([date(1956, 11, 22), date(1956, 11, 23), None]), AS_OF)
    assert ages.tolist() == [70, 69, -1]


def test_grades_per_village(stats: Statistics) -> None:
    west = row(stats.grades, "老顶山镇", "西长井村")
    assert west["能力完好"] == 1
    assert west["能力中度受损（中度失能）"] == 1
    assert west[TOTAL] == 2
    total = stats.grades.iloc[-1]
    assert total[TOWNSHIP] == TOTAL
    assert total[NEVER] == 1
    assert total[TOTAL] == 6
    assert row(stats.grades, "（未登记）", "（未登记）")["能力轻度受损（轻度失能）"] == 1


def test_age_and_sex(stats: Statistics) -> None:
    west = row(stats.age_sex, "老顶山镇", "西长井村")
    assert west["70–79岁 男"] == 1
    assert west["60–69岁 女"] == 1
    ma = row(stats.age_sex, "大辛庄镇", "马厂村")
    assert ma["90岁及以上 男"] == 1
    assert ma[OTHER_AGE_SEX] == 1
    assert stats.age_sex.iloc[-1][TOTAL] == 6


def test_eligibility(stats: Statistics) -> None:
    assert row(stats.eligibility, "老顶山镇", "西长井村")["N01 老年人能力综合评估"] == 2
    assert row(stats.eligibility, "老顶山镇", "西长井村")["N02 高龄津贴"] == 0
    summary = stats.eligibility_summary.set_index("项目编号")
    assert summary.loc["N01", "符合"] == 4
    assert summary.loc["N01", "待核实"] == 1
    assert summary.loc["N02", "不符合"] == 2


def test_assessments_in_period(stats: Statistics) -> None:
    total = stats.assessments.iloc[-1]
    assert total["常规评估"] == 1
    assert total["首次评估"] == 1
    assert total[TOTAL] == 2


def test_due(stats: Statistics) -> None:
    total = stats.due.iloc[-1]
    # a: due 2026-11-01 (due), c: 2026-12-10 (within 30 days), f: 2026-01-01 (due), e: never.
    assert total[DUE_NOW] == 2
    assert total[DUE_SOON] == 1
    assert total[NEVER] == 1
    assert set(stats.due_list["姓名"]) == {"甲", "己"}


def test_excel_reads_back_the_same_numbers(stats: Statistics, tmp_path: Path) -> None:
    path = write_statistics_xlsx(stats, tmp_path / "stats.xlsx")
    sheets = read_statistics_xlsx(path)
    assert list(sheets) == list(stats.tables())
    for title, table in stats.tables().items():
        back = sheets[title]
        assert list(back.columns) == list(table.columns), title
        numeric = [c for c in table.columns if pd.api.types.is_integer_dtype(table[c])]
        for column in numeric:
            assert np.array_equal(back[column].to_numpy(), table[column].to_numpy()), column


def test_empty_input() -> None:
    empty = StatisticsInput(pd.DataFrame({"elder_id": pd.Series([], dtype=str)}),
                            pd.DataFrame(columns=["elder_id", "reference_date", "reason"]))
    stats = compute_statistics(empty, as_of=AS_OF)
    assert stats.grades.iloc[-1][TOTAL] == 0


def test_excel_keeps_text_as_text_days_as_days_and_a_frozen_bold_header(
        stats: Statistics, tmp_path: Path) -> None:
    """What a county officer opens: a name that looks like a formula stays text (never
    evaluated), due dates are real dates shown as days, missing values are empty cells, the
    header row is bold and frozen."""
    from datetime import datetime

    from openpyxl import load_workbook

    listing = stats.due_list.copy()
    listing.loc[0, "姓名"] = '=HYPERLINK("http://evil.example","点我")'
    listing.loc[1, "上次评估基准日期"] = None
    path = write_statistics_xlsx(replace(stats, due_list=listing), tmp_path / "stats.xlsx")
    sheet = load_workbook(path)["复评到期名单"]
    header = [c.value for c in sheet[1]]
    assert header == list(listing.columns)
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    name = sheet.cell(row=2, column=header.index("姓名") + 1)
    assert name.data_type == "s"
    assert name.value.startswith("=HYPERLINK")
    due = sheet.cell(row=2, column=header.index("复评到期日") + 1)
    assert isinstance(due.value, datetime)
    assert due.value.date() == listing.loc[0, "复评到期日"]
    assert due.number_format == "yyyy-mm-dd"
    assert sheet.cell(row=3, column=header.index("上次评估基准日期") + 1).value is None
    assert sheet.column_dimensions["C"].width > 4


def test_a_failed_excel_write_leaves_no_rows_behind(stats: Statistics, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The sheets' rows wait in temporary files while the workbook is written; a write that
    fails half-way removes them and the half-written workbook (no names left on disk)."""
    import tempfile

    from assessment.documents import exports

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    written: list[str] = []
    real = exports._write_sheet

    def fail_on_the_third(sheet: Any, table: pd.DataFrame, formats: Any) -> None:
        real(sheet, table, formats)
        written.append(sheet.name)
        if len(written) == 3:
            raise OSError("磁盘已满")

    monkeypatch.setattr(exports, "_write_sheet", fail_on_the_third)
    with pytest.raises(OSError, match="磁盘已满"):
        write_statistics_xlsx(stats, tmp_path / "stats.xlsx")
    assert not (tmp_path / "stats.xlsx").exists()
    assert list(scratch.rglob("*")) == []
