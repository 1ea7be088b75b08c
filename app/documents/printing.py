"""Certificate preview, printing, PDF saving and batch output for the desktop client.

The core lays a certificate out once as drawing operations (:mod:`assessment.documents.layout`);
the PDF is the reportlab rendering of that layout, and printing paints the same operations
with QPainter onto the QPrinter (vector text and QR code at the printer's resolution, in the
same TrueType font, registered with Qt). So no PDF rasteriser is needed (the installed Qt
wheels ship no QtPdf) and the paper matches the saved PDF.

Entry points for the main window:

* :func:`print_certificate` — preview (QPrintPreviewDialog) and print one certificate;
* :func:`print_certificate_now` — print one certificate through the print dialog;
* :func:`save_certificate_pdf` — save one certificate as PDF;
* :func:`batch_certificates` — many certificates (a village, a filter) to one PDF, to one PDF
  each in a folder, or to the printer, off the GUI thread with a progress bar and 取消.

What is issued, the 补打 reprint rule and the audit entries are the core's one certificate
pipeline (:mod:`assessment.usecases.certificates`, also behind ``yinling certificate``); this
module adds the preview, the print dialogs and painting with QPainter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPen,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo, QPrintPreviewDialog
from PySide6.QtWidgets import QMessageBox, QWidget

from app.common.background import BackgroundTask, ProgressDialog
from app.common.file_dialogs import choose_folder, save_file
from assessment.documents.fonts import FontChoice, find_cjk_font
from assessment.documents.layout import (
    CheckBox,
    Color,
    Line,
    Page,
    QrCode,
    Rect,
    TextRun,
)
from assessment.errors import InputRejected
from assessment.records.workspace import Workspace
from assessment.settings import PRINTER_NAME
from assessment.usecases.certificates import (
    BatchOutcome,
    certificates_job,
    export_certificate_pdf,
    prepare_certificate,
    record_issue,
    record_printed,
)

FALLBACK_FAMILIES = ("SimSun", "宋体", "Microsoft YaHei", "Songti SC", "AR PL UMing CN",
                     "WenQuanYi Zen Hei", "Noto Serif CJK SC", "Noto Sans CJK SC")
_families: dict[str, str] = {}


def qt_font_family(font: FontChoice) -> str:
    """The Qt family drawing the same glyphs as the PDF (the font file registered with Qt)."""
    key = str(font.path)
    if key in _families:
        return _families[key]
    family = ""
    if font.path is not None:
        font_id = QFontDatabase.addApplicationFont(str(font.path))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if families:
            family = families[min(font.subfont_index, len(families) - 1)]
    if not family:
        installed = set(QFontDatabase.families())
        family = next((f for f in FALLBACK_FAMILIES if f in installed), QFont().family())
    _families[key] = family
    return family


def _qcolor(color: Color) -> QColor:
    return QColor.fromRgbF(*color)


class PagePainter:
    """Paints laid-out pages with QPainter: points → device pixels at ``dpi``."""

    def __init__(self, painter: QPainter, family: str, dpi: float) -> None:
        self.painter = painter
        self.family = family
        self.scale = dpi / 72.0

    def _font(self, size: float, bold: bool) -> QFont:
        font = QFont(self.family)
        font.setPixelSize(max(1, round(size * self.scale)))
        font.setBold(bold)
        font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
        return font

    def paint(self, page: Page) -> None:
        """Paint one page with its top-left corner at the device origin."""
        p = self.painter
        s = self.scale
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        for op in page.ops:
            if isinstance(op, TextRun):
                if op.invisible:
                    continue
                font = self._font(op.size, False)
                color = _qcolor(op.color)
                x = op.x * s
                if op.align != "left":
                    width = QFontMetricsF(font, p.device()).horizontalAdvance(op.text)
                    x -= width / 2 if op.align == "center" else width
                if op.bold:
                    # Bold as in the PDF: the regular glyphs filled and stroked, so the
                    # advance widths (and the layout) stay those of the regular face.
                    path = QPainterPath()
                    path.addText(QPointF(x, op.y * s), font, op.text)
                    p.fillPath(path, color)
                    p.strokePath(path, QPen(color, op.size * 0.035 * s))
                else:
                    p.setFont(font)
                    p.setPen(color)
                    p.drawText(QPointF(x, op.y * s), op.text)
            elif isinstance(op, Line):
                pen = QPen(_qcolor(op.color), op.width * s)
                if op.dash:
                    pen.setDashPattern([d / op.width for d in op.dash])
                p.setPen(pen)
                p.drawLine(QPointF(op.x1 * s, op.y1 * s), QPointF(op.x2 * s, op.y2 * s))
            elif isinstance(op, Rect):
                rect = QRectF(op.x * s, op.y * s, op.width * s, op.height * s)
                if op.fill is not None:
                    p.fillRect(rect, _qcolor(op.fill))
                if op.stroke is not None:
                    p.setPen(QPen(_qcolor(op.stroke), op.stroke_width * s))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawRect(rect)
            elif isinstance(op, CheckBox):
                self._checkbox(op)
            else:
                self._qr(op)
        p.restore()

    def _checkbox(self, op: CheckBox) -> None:
        p, s = self.painter, self.scale
        size = op.size * s
        x, y = op.x * s, op.y * s
        p.setPen(QPen(QColor(0, 0, 0), max(0.5, op.size * 0.07) * s))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(QRectF(x, y, size, size))
        if op.ticked:
            pen = QPen(QColor(0, 0, 0), op.size * 0.14 * s)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            p.setPen(pen)
            p.drawPolyline([QPointF(x + size * 0.2, y + size * 0.48),
                            QPointF(x + size * 0.42, y + size * 0.75),
                            QPointF(x + size * 0.82, y + size * 0.2)])

    def _qr(self, op: QrCode) -> None:
        p, s = self.painter, self.scale
        module = op.size / op.modules * s
        path = QPainterPath()
        for row, col, length in op.runs:
            path.addRect(QRectF(op.x * s + col * module, op.y * s + row * module,
                                length * module, module))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillPath(path, QColor(0, 0, 0))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)


def a4_printer(name: str = "") -> QPrinter:
    """A high-resolution printer set to A4 portrait, full page (the layout has its margins);
    ``name`` selects the printer set in 设置 (打印机) when the system has it, else the system
    default stays (the print dialog lets the user choose)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if name and name in QPrinterInfo.availablePrinterNames():
        printer.setPrinterName(name)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)
    return printer


def paint_pages(printer: QPrinter, pages: Sequence[Page], font: FontChoice | None = None,
                progress: Callable[[int], bool] | None = None) -> int:
    """Paint ``pages`` on ``printer``; ``progress(done)`` returning False stops early.

    Returns the number of pages painted.
    """
    painter = QPainter()
    if not painter.begin(printer):
        return 0
    family = qt_font_family(font or find_cjk_font())
    drawer = PagePainter(painter, family, printer.resolution())
    done = 0
    try:
        for index, page in enumerate(pages):
            if index:
                printer.newPage()
            drawer.paint(page)
            done += 1
            if progress is not None and not progress(done):
                break
    finally:
        painter.end()
    return done


def workspace_printer(workspace: Workspace) -> QPrinter:
    """:func:`a4_printer` on the printer named in the workspace's settings (打印机)."""
    try:
        name = workspace.settings.get(PRINTER_NAME.key)
    except Exception:  # a store problem must not stop printing on the default printer
        name = ""
    return a4_printer(name if isinstance(name, str) else "")


def _refused(parent: QWidget | None, error: Exception) -> None:
    if isinstance(error, InputRejected):
        message = "\n".join(p.message for p in error.problems)
    else:
        message = str(error)
    QMessageBox.warning(parent, "无法生成评估报告", message)


def print_certificate(parent: QWidget | None, workspace: Workspace, assessment_id: str) -> bool:
    """Preview one certificate and print it from the preview; True when it was printed.

    The print (or the 补打 reprint) is written to the audit log only once it happened.
    """
    try:
        prepared = prepare_certificate(workspace, assessment_id)
    except Exception as error:  # refused input or a store problem: tell the user
        _refused(parent, error)
        return False
    printer = workspace_printer(workspace)
    dialog = QPrintPreviewDialog(printer, parent)
    title = "补打评估报告" if prepared.reprint else "打印评估报告"
    dialog.setWindowTitle(f"{title}预览 — {prepared.document.title}")
    pages = prepared.document.pages
    dialog.paintRequested.connect(lambda target: paint_pages(target, pages))
    printed = dialog.exec() == QPrintPreviewDialog.DialogCode.Accepted
    if printed:
        record_printed(workspace, prepared)
    return printed


def print_certificate_now(parent: QWidget | None, workspace: Workspace, assessment_id: str) -> bool:
    """Print one certificate through the print dialog (no preview); True when printed."""
    try:
        prepared = prepare_certificate(workspace, assessment_id)
    except Exception as error:  # refused input or a store problem: tell the user
        _refused(parent, error)
        return False
    printer = workspace_printer(workspace)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("补打评估报告" if prepared.reprint else "打印评估报告")
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return False
    if paint_pages(printer, prepared.document.pages) == 0:
        QMessageBox.warning(parent, "无法打印", "打印机无法开始打印，请检查打印机设置。")
        return False
    record_printed(workspace, prepared)
    return True


def save_certificate_pdf(parent: QWidget | None, workspace: Workspace, assessment_id: str,
                         path: Path | None = None) -> Path | None:
    """Save one certificate as PDF (asking where when ``path`` is None); the saved path."""
    try:
        prepared = prepare_certificate(workspace, assessment_id)
    except Exception as error:  # refused input or a store problem: tell the user
        _refused(parent, error)
        return None
    if path is None:
        chosen = save_file(parent, "保存评估报告", f"{prepared.document.title}.pdf",
                           "PDF 文件 (*.pdf)")
        if chosen is None:
            return None
        path = chosen
    try:
        export_certificate_pdf(workspace, assessment_id, path, prepared=prepared)
    except OSError as error:
        QMessageBox.critical(parent, "无法保存", f"无法写入 {path}：{error.strerror}")
        return None
    return path


def batch_certificates(parent: QWidget | None, workspace: Workspace, assessment_ids: Sequence[str],
                       mode: str = "one_pdf", target: Path | None = None,
                       ) -> BatchTaskHandle | None:
    """Start a batch for many certificates with a progress dialog; returns the running task.

    When ``target`` is None for a PDF mode, the user picks the file or folder. In ``print``
    mode the print dialog is shown first and the pages are painted once generated; each
    printed certificate is then logged (reprints as 补打).
    """
    printer: QPrinter | None = None
    if mode == "print":
        printer = workspace_printer(workspace)
        if QPrintDialog(printer, parent).exec() != QPrintDialog.DialogCode.Accepted:
            return None
    elif target is None:
        if mode == "one_pdf":
            chosen = save_file(parent, "批量导出评估报告", "评估报告.pdf", "PDF 文件 (*.pdf)")
        else:
            chosen = choose_folder(parent, "选择保存评估报告的文件夹")
        if chosen is None:
            return None
        target = chosen
    task = BackgroundTask(certificates_job(workspace, assessment_ids, mode, target), parent)
    handle = BatchTaskHandle(task, parent, workspace, printer)
    dialog = ProgressDialog(task, "批量生成评估报告", parent)
    task.start()
    dialog.open()
    return handle


class BatchTaskHandle:
    """Keeps a running batch alive and finishes it on the GUI thread (print, summary)."""

    def __init__(self, task: BackgroundTask, parent: QWidget | None, workspace: Workspace,
                 printer: QPrinter | None) -> None:
        self.task = task
        self.parent = parent
        self.workspace = workspace
        self.printer = printer
        self.outcome: BatchOutcome | None = None
        self.error: object | None = None
        task.succeeded.connect(self._done)
        task.failed.connect(self._failed)

    def _done(self, outcome: object) -> None:
        assert isinstance(outcome, BatchOutcome)
        self.outcome = outcome
        if self.printer is not None and outcome.pages:
            painted = paint_pages(self.printer, outcome.pages)
            for assessment_id, reprint in outcome.printed_ids[:painted]:
                record_issue(self.workspace, assessment_id, reprint=reprint, exported=False)
        if outcome.refused and self.parent is not None:
            lines = [f"{aid}：{why}" for aid, why in outcome.refused[:10]]
            QMessageBox.information(self.parent, "部分评估未生成报告", "\n".join(lines))

    def _failed(self, error: object) -> None:
        self.error = error
        if self.parent is not None:
            QMessageBox.critical(self.parent, "批量生成失败", str(error))
