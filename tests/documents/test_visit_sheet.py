"""The visit sheet PDF: rows grow with their content, read back with pdftotext -bbox."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

from assessment.documents.visit_sheet import write_visit_sheet_pdf
from assessment.visits.measure import PlanRow
from assessment.visits.plans import load_plans
from tests.documents.conftest import needs_tool

AS_OF = dt.date(2026, 12, 7)
# Several lines in the 需核实 column (30 mm wide): what the visitor is to ask about.
LONG_ASK = ("居住情况、是否为计划生育特殊家庭、是否有慢性病急性发作风险、"
            "近期是否跌倒、子女是否履行赡养义务")


def _row(n: int, name: str, ask: str) -> PlanRow:
    return PlanRow(f"e{n}", name, "城关镇", "李家庄村", "待核实", "每周", "上门、电话",
                   "never", "从未探访", None, AS_OF, "", ask)


def _words(path: Path) -> list[tuple[float, float, float, str]]:
    """(xMin, yMin, yMax, word) of every word on the first page."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
                          check=True, capture_output=True, text=True).stdout
    return [(float(x), float(y0), float(y1), word) for x, y0, y1, word in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
        html)]


@needs_tool("pdftotext")
def test_a_three_line_cell_grows_its_row_instead_of_running_into_the_next(
        tmp_path: Path) -> None:
    plan = load_plans().in_force(AS_OF)
    path = write_visit_sheet_pdf([_row(1, "张三", LONG_ASK), _row(2, "李四", ""),
                                  _row(3, "王<五>&", "")], plan, AS_OF, tmp_path / "s.pdf")
    words = _words(path)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    # Every part of the long cell is printed (nothing clipped) and markup in a name is text.
    assert re.sub(r"\s", "", LONG_ASK) in re.sub(r"\s", "", text)
    assert "王<五>&" in text
    ask_lines = sorted({round(y0) for x, y0, _y1, w in words if w and w[0] in LONG_ASK
                        and 200 < x < 640 and not w.startswith("需核实")})
    assert len(ask_lines) >= 3  # the cell really wraps onto three lines
    ask_bottom = max(y1 for x, _y0, y1, w in words
                     if 200 < x < 640 and w and w[0] in LONG_ASK and w != "需核实")
    li_top = min(y0 for _x, y0, _y1, w in words if w == "李四")
    zhang_top = min(y0 for _x, y0, _y1, w in words if w == "张三")
    assert ask_bottom < li_top  # the next row starts below the long cell's last line
    # Rows without long text keep their room for handwriting (at least 10 mm ≈ 28 pt).
    wang_top = min(y0 for _x, y0, _y1, w in words if w.startswith("王"))
    assert wang_top - li_top >= 27
    assert li_top - zhang_top > wang_top - li_top  # the long row is taller than a short one
