"""The PDF painter's text objects: every run, in the embedded font, where it was laid out."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from assessment.documents.layout import A4_HEIGHT, A4_WIDTH, Document, Page, TextRun
from assessment.documents.pdf import write_pdf
from tests.documents.conftest import needs_tool

# More distinct characters than one 256-glyph font subset holds: the text switches subsets.
_MANY = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 300))


def _words(path: Path) -> list[tuple[float, float, str]]:
    """(xMin, yMin, word) of every word, from pdftotext -bbox."""
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return [(float(x), float(y), word) for x, y, word in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" [^>]*>([^<]*)</word>', html)]


@needs_tool("pdftotext")
def test_runs_read_back_in_place(tmp_path: Path) -> None:
    runs = (TextRun(72, 100, "左对齐 Left", 12),
            TextRun(A4_WIDTH / 2, 150, "居中标题", 18, bold=True, align="center"),
            TextRun(A4_WIDTH - 72, 200, "右对齐", 10, align="right", color=(0.7, 0.2, 0.1)),
            TextRun(72, 250, "看不见的文字", 10, invisible=True),
            *(TextRun(72, 300 + 12 * i, _MANY[30 * i:30 * i + 30], 9) for i in range(10)))
    path = tmp_path / "runs.pdf"
    write_pdf(Document("t", (Page(A4_WIDTH, A4_HEIGHT, runs),)), path)
    words = {word: (x, y) for x, y, word in _words(path)}
    assert abs(words["左对齐"][0] - 72) < 1
    assert abs(words["左对齐"][1] - (100 - 12)) < 4  # baseline 100, glyphs above it
    centre = words["居中标题"]
    assert abs(centre[0] - (A4_WIDTH / 2 - 36)) < 3  # four 18-pt glyphs centred
    assert abs(words["右对齐"][0] - (A4_WIDTH - 72 - 30)) < 3  # three 10-pt glyphs
    assert "看不见的文字" in words  # invisible, still searchable
    assert all(_MANY[30 * i:30 * i + 30] in words for i in range(10))  # both subsets
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                           text=True).stdout
    assert fonts.count(" yes yes ") >= 2  # two embedded subsets
