"""Page layouts as data: a page is a list of simple drawing operations in points.

A document is laid out once into these frozen operations; back-ends then draw them: reportlab
into a PDF (:mod:`assessment.documents.pdf`) and, in the desktop client, QPainter onto a
printer or the print preview. Both draw the same positions, so the paper looks the same
whichever way it was printed, and the client needs no PDF rasteriser.

Coordinates are PostScript points (1/72 inch) from the **top-left** corner of the page, y
growing downwards; a text's ``y`` is its baseline. Colours are RGB triples in 0–1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Color = tuple[float, float, float]
Align = Literal["left", "center", "right"]

BLACK: Color = (0.0, 0.0, 0.0)
MM = 72.0 / 25.4
A4_WIDTH = 210 * MM
A4_HEIGHT = 297 * MM


@dataclass(frozen=True, slots=True)
class TextRun:
    """One line of text at a baseline. ``invisible`` text is searchable but not painted."""

    x: float
    y: float
    text: str
    size: float
    bold: bool = False
    align: Align = "left"
    color: Color = BLACK
    invisible: bool = False


@dataclass(frozen=True, slots=True)
class Line:
    """A straight line; ``dash`` is an on/off pattern in points (empty for solid)."""

    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.5
    color: Color = BLACK
    dash: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Rect:
    """A rectangle from its top-left corner, stroked and/or filled."""

    x: float
    y: float
    width: float
    height: float
    stroke: Color | None = BLACK
    stroke_width: float = 0.5
    fill: Color | None = None


@dataclass(frozen=True, slots=True)
class CheckBox:
    """A square check box (☑ when ``ticked``, □ otherwise), top-left corner and side."""

    x: float
    y: float
    size: float
    ticked: bool


@dataclass(frozen=True, slots=True)
class QrCode:
    """A QR code drawn as vector squares: ``runs`` are (row, first column, length) of dark
    modules in a ``modules`` × ``modules`` symbol placed at (x, y) with ``size`` points side
    (quiet zone not included)."""

    x: float
    y: float
    size: float
    modules: int
    runs: tuple[tuple[int, int, int], ...]
    text: str


Op = TextRun | Line | Rect | CheckBox | QrCode


@dataclass(frozen=True, slots=True)
class Page:
    """One laid-out page."""

    width: float
    height: float
    ops: tuple[Op, ...]


@dataclass(frozen=True, slots=True)
class Document:
    """Laid-out pages plus the PDF metadata."""

    title: str
    pages: tuple[Page, ...]
    author: str = "银龄评估"
    subject: str = ""


Measure = Callable[[str, float], float]


def wrap_text(text: str, width: float, size: float, measure: Measure,
              indent: float = 0.0) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (later lines ``indent`` narrower).

    Chinese text breaks between any two characters, except that closing punctuation never
    starts a line and opening punctuation never ends one (simple 禁则). Runs of Latin letters
    and digits are kept together when they fit.
    """
    no_start = set("，。；：、）”’》」』】〉！？…～,.;:)!?%")
    no_end = set("（“‘《「『【〈(")
    tokens: list[str] = []
    for ch in text:
        if tokens and ch.isascii() and ch.isalnum() and tokens[-1][-1:].isascii() \
                and tokens[-1][-1:].isalnum():
            tokens[-1] += ch
        else:
            tokens.append(ch)
    lines: list[str] = []
    current = ""
    limit = width
    for token in tokens:
        candidate = current + token
        if not current or measure(candidate, size) <= limit:
            current = candidate
            continue
        if token in no_start and current:
            # Pull the previous character down with the closing mark.
            moved = current[-1]
            head = current[:-1]
            if head:
                lines.append(head)
                current = moved + token
            else:
                current = candidate
        elif current[-1] in no_end and len(current) > 1:
            lines.append(current[:-1])
            current = current[-1] + token
        else:
            lines.append(current)
            current = token
        limit = width - indent
    if current:
        lines.append(current)
    return lines
