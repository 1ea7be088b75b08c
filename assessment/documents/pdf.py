"""Draw laid-out pages (:mod:`assessment.documents.layout`) into a PDF with reportlab.

The font is registered once per process (:mod:`assessment.documents.fonts`); an embedded
TrueType font is subset into the file. Check boxes and QR codes are vector paths, so they stay
sharp at any printer resolution. Ticked and unticked boxes also carry invisible ☑ / □ text when
a font with those glyphs is available, so that the PDF's text reads like the paper.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from reportlab import rl_config
from reportlab.pdfbase.pdfdoc import escapePDF
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth
from reportlab.pdfgen.canvas import Canvas

from assessment.documents.fonts import FontChoice, find_cjk_font, find_symbol_font
from assessment.documents.layout import (
    CheckBox,
    Color,
    Document,
    Line,
    Page,
    QrCode,
    Rect,
    TextRun,
)


def _num(value: float) -> str:
    """Compact PDF number (two decimals are far below a printer dot)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def qr_path_operators(op: QrCode, page_height: float) -> str:
    """The PDF operators that fill a QR code's dark modules: one path in module units under a
    scaling transform, so each run is a few small integers."""
    module = op.size / op.modules
    head = (f"q {_num(module)} 0 0 {_num(-module)} {_num(op.x)} {_num(page_height - op.y)} cm "
            "0 0 0 rg\n")
    body = "\n".join([f"{col} {row} {length} 1 re" for row, col, length in op.runs])
    return f"{head}{body}\nf Q"


def _rgb(color: Color, op: str) -> str:
    return f"{_num(color[0])} {_num(color[1])} {_num(color[2])} {op}"


def vector_operators(op: Line | Rect | CheckBox, page_height: float) -> str:
    """PDF operators for one vector op, self-contained (own colours and line width)."""
    if isinstance(op, Line):
        dash = f"[{' '.join(_num(d) for d in op.dash)}] 0 d " if op.dash else ""
        return (f"{_rgb(op.color, 'RG')} {_num(op.width)} w {dash}"
                f"{_num(op.x1)} {_num(page_height - op.y1)} m "
                f"{_num(op.x2)} {_num(page_height - op.y2)} l S" + (" [] 0 d" if dash else ""))
    if isinstance(op, Rect):
        box = (f"{_num(op.x)} {_num(page_height - op.y - op.height)} "
               f"{_num(op.width)} {_num(op.height)} re")
        parts = []
        if op.fill is not None:
            parts.append(f"{_rgb(op.fill, 'rg')} {box} f")
        if op.stroke is not None:
            parts.append(f"{_rgb(op.stroke, 'RG')} {_num(op.stroke_width)} w {box} S")
        return " ".join(parts)
    s = op.size
    x, y = op.x, page_height - op.y - s
    out = f"0 0 0 RG {_num(max(0.5, s * 0.07))} w {_num(x)} {_num(y)} {_num(s)} {_num(s)} re S"
    if op.ticked:
        out += (f" {_num(s * 0.14)} w 1 J 1 j {_num(x + s * 0.2)} {_num(y + s * 0.52)} m "
                f"{_num(x + s * 0.42)} {_num(y + s * 0.25)} l "
                f"{_num(x + s * 0.82)} {_num(y + s * 0.8)} l S 0 J 0 j")
    return out


class PdfPainter:
    """Draws pages onto a reportlab canvas.

    Vector ops between two texts are written as one literal operator block wrapped in
    ``q … Q``, so they neither disturb the canvas's own graphics state nor pay its per-number
    formatting. With an embedded TrueType font (the usual case), consecutive texts are one
    literal text object too: reportlab's font subsetting and encoding
    (``TTFont.splitString``), then one ``Tm`` and ``Tj`` per run, instead of a reportlab text
    object per run (which formats every number and resets the text state each time).
    Other fonts go through ``Canvas.drawString``.
    """

    def __init__(self, canvas: Canvas, font: FontChoice, symbol_font: str | None) -> None:
        self.canvas = canvas
        self.font = font
        self.symbol_font = symbol_font
        self._font_size: float | None = None
        self._fill: Color | None = None
        self._stroke: Color | None = None
        self._line_width: float | None = None
        self._height = 0.0
        name = font.name
        self._width: Callable[[str, float], float] = lru_cache(maxsize=2048)(
            lambda text, size: stringWidth(text, name, size))
        face = getFont(name)
        self._face = face if getattr(face, "_dynamicFont", False) else None

    def _reset(self) -> None:
        self._font_size = self._fill = self._stroke = self._line_width = None

    def page(self, page: Page) -> None:
        """Draw one page and finish it."""
        c = self.canvas
        c.setPageSize((page.width, page.height))
        self._reset()
        self._height = height = page.height
        pending: list[str] = []
        texts: list[TextRun] = []
        boxes: list[CheckBox] = []
        for op in page.ops:
            if isinstance(op, TextRun):
                if pending:
                    c.addLiteral("q " + "\n".join(pending) + " Q")
                    pending.clear()
                if self._face is None:
                    self._text(op)
                else:
                    texts.append(op)
                continue
            if texts:
                c.addLiteral(self._text_object(texts))
                texts.clear()
            if isinstance(op, QrCode):
                pending.append(qr_path_operators(op, height))
            else:
                pending.append(vector_operators(op, height))
                if isinstance(op, CheckBox):
                    boxes.append(op)
        if pending:
            c.addLiteral("q " + "\n".join(pending) + " Q")
        if texts:
            c.addLiteral(self._text_object(texts))
        if boxes and self.symbol_font is not None:
            self._box_symbols(boxes)
        c.showPage()
        self._reset()

    def _text_object(self, runs: list[TextRun]) -> str:
        """One ``q BT … ET Q`` block drawing ``runs`` in the embedded TrueType font (colours,
        render modes and sizes set only when they change)."""
        face, doc = self._face, self.canvas._doc
        assert face is not None
        out = ["q BT"]
        subset_now: int | None = None
        size_now = fill = stroke = mode_now = width_now = None
        for op in runs:
            if op.color != fill:
                out.append(_rgb(op.color, "rg"))
                fill = op.color
            mode = 3 if op.invisible else 0
            if op.bold and not op.invisible:
                # Simulated bold (CJK fonts rarely ship a bold face): fill and stroke glyphs.
                mode = 2
                if op.color != stroke:
                    out.append(_rgb(op.color, "RG"))
                    stroke = op.color
                width = _num(op.size * 0.035)
                if width != width_now:
                    out.append(f"{width} w")
                    width_now = width
            if mode != mode_now:
                out.append(f"{mode} Tr")
                mode_now = mode
            x = op.x
            if op.align == "center":
                x -= self._width(op.text, op.size) / 2
            elif op.align == "right":
                x -= self._width(op.text, op.size)
            out.append(f"1 0 0 1 {_num(x)} {_num(self._height - op.y)} Tm")
            for subset, chunk in face.splitString(op.text, doc):
                if subset != subset_now or op.size != size_now:
                    out.append(f"{face.getSubsetInternalName(subset, doc)} {_num(op.size)} Tf")
                    subset_now, size_now = subset, op.size
                out.append(f"({escapePDF(chunk)}) Tj")
        out.append("ET Q")
        return "\n".join(out)

    def _box_symbols(self, boxes: list[CheckBox]) -> None:
        """Invisible ☑ / □ over the drawn boxes, so the PDF's text reads like the paper."""
        assert self.symbol_font is not None
        text = self.canvas.beginText()
        text.setTextRenderMode(3)
        size = 0.0
        for box in boxes:
            if box.size != size:
                text.setFont(self.symbol_font, box.size)
                size = box.size
            text.setTextOrigin(box.x, self._height - box.y - box.size * 0.9)
            text.textOut("☑" if box.ticked else "□")
        self.canvas.drawText(text)

    def _set_font(self, size: float) -> None:
        if self._font_size != size:
            self.canvas.setFont(self.font.name, size)
            self._font_size = size

    def _set_fill(self, color: Color) -> None:
        if self._fill != color:
            self.canvas.setFillColorRGB(*color)
            self._fill = color

    def _set_stroke(self, color: Color, width: float) -> None:
        if self._stroke != color:
            self.canvas.setStrokeColorRGB(*color)
            self._stroke = color
        if self._line_width != width:
            self.canvas.setLineWidth(width)
            self._line_width = width

    def _text(self, op: TextRun) -> None:
        c = self.canvas
        self._set_font(op.size)
        y = self._height - op.y
        mode = 3 if op.invisible else None
        if op.bold and not op.invisible:
            # Simulated bold (CJK fonts rarely ship a bold face): fill and stroke the glyphs.
            self._set_stroke(op.color, op.size * 0.035)
            mode = 2
        self._set_fill(op.color)
        x = op.x
        if op.align == "center":
            x -= self._width(op.text, op.size) / 2
        elif op.align == "right":
            x -= self._width(op.text, op.size)
        c.drawString(x, y, op.text, mode=mode)


def write_pdf(document: Document, target: str | Path | BinaryIO,
              font: FontChoice | None = None, *, compress: bool = True) -> None:
    """Render ``document`` into a PDF file or binary stream."""
    write_pages(document.pages, target, font, title=document.title, author=document.author,
                subject=document.subject, compress=compress)


def write_pages(pages: Iterable[Page], target: str | Path | BinaryIO,
                font: FontChoice | None = None, *, title: str = "", author: str = "银龄评估",
                subject: str = "", compress: bool = True) -> int:
    """Render pages as they come (a generator keeps memory flat); return the page count."""
    font = font or find_cjk_font()
    # Without reportlab's optional C accelerator, ASCII85-armouring the compressed streams
    # is the slowest step of writing a page, and binary streams are valid PDF.
    rl_config.useA85 = 0
    out = str(target) if isinstance(target, Path) else target
    canvas = Canvas(out, pageCompression=int(compress), invariant=0, initialFontName=font.name,
                    initialFontSize=10.5)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(subject)
    canvas.setCreator("银龄评估 Yinling")
    painter = PdfPainter(canvas, font, find_symbol_font(font))
    count = 0
    for page in pages:
        painter.page(page)
        count += 1
    canvas.save()
    return count
