"""The GB/T 42195-2022 Appendix C report (老年人能力评估报告) as an A4 page.

Input is plain data (:class:`CertificateData`), so this module depends on neither the store
nor the eligibility engine: :mod:`assessment.documents.sources` fills it from a workspace.
Every fixed sentence, label and grade name comes from the form file, verbatim; C.3 and C.5
tick exactly one of the five grade names and C.4 ticks the boxes of the recorded reasons.

:class:`CertificateLayout` is built once per form and font and then lays out any number of
certificates; the fixed sentences are measured and wrapped once, so a batch of a thousand
costs little more than drawing the text.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from reportlab.pdfbase.pdfmetrics import stringWidth

from assessment.devicekeys import DeviceSigningKey
from assessment.documents.certificate_code import (
    CertificateClaims,
    id_number_hash,
    sign_claims,
)
from assessment.documents.fonts import FontChoice, find_cjk_font
from assessment.documents.layout import (
    A4_HEIGHT,
    A4_WIDTH,
    CheckBox,
    Color,
    Document,
    Line,
    Op,
    Page,
    QrCode,
    Rect,
    TextRun,
    wrap_text,
)
from assessment.documents.qr import qr_runs
from assessment.documents.verify_url import verification_url
from assessment.eligibility.listseal import LOCAL_MARK
from assessment.forms import Form, default_form
from assessment.records.signatures import signature_strokes, signatures_digest

RED: Color = (0.78, 0.08, 0.08)
GREY: Color = (0.35, 0.35, 0.35)
LABEL_FILL: Color = (0.93, 0.93, 0.93)

MARGIN_X = 56.0
CONTENT_W = A4_WIDTH - 2 * MARGIN_X
BODY = 10.5
SMALL = 8.5
LEAD = 16.0
BOX = 9.0
QR_SIZE = 74.0
SIGNATURE_HEIGHT = 21.0  # the drawn signature above its line


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """One service-list item the elder is eligible for, as printed."""

    item_id: str
    name: str


@dataclass(frozen=True, slots=True)
class ServicesBlock:
    """The eligible service-list items and the list they come from."""

    list_name: str  # e.g. 山西省基本养老服务清单
    list_version: str  # e.g. shanxi-provisional@2026.1
    provisional: bool
    as_of: date
    items: tuple[ServiceLine, ...]
    local: bool = False  # a list installed on this laptop, not issued by the county


@dataclass(frozen=True, slots=True)
class CertificateData:
    """Everything printed on one certificate (all values already derived and checked)."""

    certificate_no: str
    assessment_id: str
    assessment_no: str  # A.1.1 评估编号
    reference_date: date  # A.1.2
    reason: str  # A.1.3
    name: str  # A.2.1
    sex: str  # A.2.2
    birth_date: date | None  # A.2.3
    id_number: str  # A.2.8, printed in full as the standard requires
    subtotals: tuple[int, ...]  # C.1.1 … C.1.4 in form order
    total: int  # C.2
    initial_grade: int  # C.3
    reasons: tuple[str, ...]  # C.4 codes
    final_grade: int  # C.5
    place: str = ""  # 评估地点
    assessors: tuple[str, str] = ("", "")  # names printed under the signature lines
    assessor_date: date | None = None
    provider_name: str = ""  # A.3.1
    provider_relation: str = ""  # A.3.2
    provider_date: date | None = None
    # Handwritten signatures as stored (key → strokes, see assessment.records.signatures);
    # drawn above their lines, and their digest is inside the signed QR code.
    signatures: Mapping[str, Any] = field(default_factory=dict)
    services: ServicesBlock | None = None
    printed_on: date = field(default_factory=date.today)


@dataclass(frozen=True, slots=True)
class ReprintMark:
    """Marks a reprint (补打) of a certificate already issued."""

    printed_on: date
    label: str = "补打"


class CertificateSigner:
    """Makes the signed QR text of certificates with the device's key and the ID-hash key.

    With the county's ``public_url`` (known once the laptop is enrolled) the QR holds a link
    to the county's verification page with the signed code inside
    (:mod:`assessment.documents.verify_url`); without it, the signed code alone.
    """

    def __init__(self, keys: DeviceSigningKey, id_key: bytes, public_url: str = "") -> None:
        self.keys = keys
        self.id_key = id_key
        self.key_code = keys.key_code
        self.public_url = public_url

    def claims(self, data: CertificateData) -> CertificateClaims:
        """What the QR code of ``data`` states."""
        return CertificateClaims(
            certificate_no=data.certificate_no,
            assessment_id=data.assessment_id,
            final_grade=data.final_grade,
            reference_date=data.reference_date,
            id_hash=id_number_hash(self.id_key, data.assessment_id, data.id_number),
            key_code=self.key_code,
            signatures_digest=signatures_digest(data.signatures),
        )

    def code_for(self, data: CertificateData) -> str:
        """The signed code of ``data`` (``YL1.…``)."""
        return sign_claims(self.claims(data), self.keys)

    def qr_text(self, data: CertificateData) -> str:
        """What the QR code holds: the verification link, or the signed code before
        enrolment."""
        code = self.code_for(data)
        return verification_url(self.public_url, code) if self.public_url else code


def chinese_date(value: date | None) -> str:
    """``2026年11月22日``; blanks to be filled by hand when ``value`` is None."""
    if value is None:
        return "______年____月____日"
    return f"{value.year}年{value.month}月{value.day}日"


class CertificateLayout:
    """Lays out certificates for one form and one font."""

    def __init__(self, form: Form | None = None, font: FontChoice | None = None) -> None:
        self.form = form or default_form()
        self.font = font or find_cjk_font()
        name = self.font.name
        self.measure: Callable[[str, float], float] = lru_cache(maxsize=4096)(
            lambda text, size: stringWidth(text, name, size))
        report = self.form.report
        self.report = report
        self.grade_names = tuple(band.name for band in self.form.grades)
        self.rules = tuple(sorted(self.form.change_rules, key=lambda r: r.box))
        self.header = {key: self.form.info_field(key).label for key in report.header_fields}
        self._c4_lead = self._wrap(f"C.4 {report.c4_lead}", CONTENT_W, BODY)
        self._c5_lead = self._wrap(f"C.5 {report.c5_lead}", CONTENT_W, BODY)
        indent = BOX + 4
        self._c4_boxes = tuple(
            self._wrap(rule.text, CONTENT_W - indent - 12, BODY) for rule in self.rules)
        self._grade_flow = self._flow(self.grade_names, MARGIN_X + 12)

    # -- helpers -----------------------------------------------------------------------------

    def _wrap(self, text: str, width: float, size: float) -> tuple[str, ...]:
        return tuple(wrap_text(text, width, size, self.measure))

    def _flow(self, labels: Sequence[str], left: float) -> tuple[tuple[float, int], ...]:
        """(x, row) of each boxed label, flowing left to right and wrapping."""
        placed: list[tuple[float, int]] = []
        x, row = left, 0
        right = MARGIN_X + CONTENT_W
        for label in labels:
            width = BOX + 3 + self.measure(label, BODY)
            if x + width > right and x > left:
                x, row = left, row + 1
            placed.append((x, row))
            x += width + 22
        return tuple(placed)

    def _boxed(self, ops: list[Op], x: float, baseline: float, label: str,
               ticked: bool) -> None:
        ops.append(CheckBox(x, baseline - BOX + 0.8, BOX, ticked))
        ops.append(TextRun(x + BOX + 3, baseline, label, BODY))

    def _filled(self, ops: list[Op], x: float, baseline: float, label: str, value: str,
                suffix: str = "", min_width: float = 36.0, bold_label: bool = False) -> float:
        """``label：value suffix`` with the value on an underline, like a filled-in form."""
        ops.append(TextRun(x, baseline, label, BODY, bold=bold_label))
        x += self.measure(label, BODY)
        width = max(min_width, self.measure(value, BODY) + 12)
        ops.append(TextRun(x + width / 2, baseline, value, BODY, align="center"))
        ops.append(Line(x, baseline + 2.5, x + width, baseline + 2.5, 0.6))
        x += width
        if suffix:
            ops.append(TextRun(x + 1, baseline, suffix, BODY))
            x += 1 + self.measure(suffix, BODY)
        return x

    # -- the page ----------------------------------------------------------------------------

    def page(self, data: CertificateData, qr_text: str,
             reprint: ReprintMark | None = None) -> Page:
        """Lay out one certificate with its signed QR text."""
        ops: list[Op] = []
        right = MARGIN_X + CONTENT_W
        # Top: certificate number, QR code, title, reprint mark.
        ops.append(TextRun(MARGIN_X, 44, f"证书编号：{data.certificate_no}", 9.5))
        runs = qr_runs(qr_text)
        qr_x, qr_y = right - QR_SIZE, 26.0
        ops.append(QrCode(qr_x, qr_y, QR_SIZE, runs.modules, runs.runs, qr_text))
        ops.append(TextRun(qr_x + QR_SIZE / 2, qr_y + QR_SIZE + 10, "扫码核验真伪", 7.5,
                           align="center", color=GREY))
        ops.append(TextRun(A4_WIDTH / 2, 84, self.report.title, 22, bold=True, align="center"))
        ops.append(TextRun(A4_WIDTH / 2, 102, f"（{self.form.standard}《{self.form.title}》附录C）",
                           9, align="center", color=GREY))
        if reprint is not None:
            ops.append(Rect(MARGIN_X, 58, 50, 26, stroke=RED, stroke_width=1.6))
            ops.append(TextRun(MARGIN_X + 25, 77, reprint.label, 15, bold=True, align="center",
                               color=RED))
            when = f"{reprint.label}日期：{chinese_date(reprint.printed_on)}"
            ops.append(TextRun(MARGIN_X, 96, when, 8, color=RED))
        y = self._header(ops, data, 122.0)
        y = self._scores(ops, data, y + 24)
        y = self._grades(ops, data, y)
        y = self._signoff(ops, data, y + 8)
        self._services(ops, data.services, y + 8)
        footer = (f"打印日期：{chinese_date(data.printed_on)}　　"
                  f"签发设备：{self.device_code_of(data)}　　"
                  f"评估基准日期：{data.reference_date.isoformat()}")
        ops.append(Line(MARGIN_X, A4_HEIGHT - 36, right, A4_HEIGHT - 36, 0.4, GREY))
        ops.append(TextRun(MARGIN_X, A4_HEIGHT - 24, footer, 7.5, color=GREY))
        return Page(A4_WIDTH, A4_HEIGHT, tuple(ops))

    @staticmethod
    def device_code_of(data: CertificateData) -> str:
        """The device code that prefixes the certificate number."""
        return data.certificate_no.split("-", 1)[0]

    def _header(self, ops: list[Op], data: CertificateData, top: float) -> float:
        h = self.header
        values = {
            "A.1.1": data.assessment_no, "A.1.2": chinese_date(data.reference_date),
            "A.1.3": data.reason, "A.2.1": data.name, "A.2.2": data.sex,
            "A.2.3": chinese_date(data.birth_date) if data.birth_date else "",
            "A.2.8": data.id_number,
        }
        rows = (("A.1.1", "A.1.2"), ("A.1.3", None), ("A.2.1", "A.2.2"), ("A.2.3", "A.2.8"))
        cols = (76.0, 160.0, 86.0, CONTENT_W - 76 - 160 - 86)
        row_h = 23.0
        xs = [MARGIN_X]
        for width in cols:
            xs.append(xs[-1] + width)
        for r, (left, right_key) in enumerate(rows):
            y = top + r * row_h
            base = y + row_h / 2 + BODY * 0.36
            for c, key in ((0, left), (2, right_key)):
                if key is None:
                    continue
                ops.append(Rect(xs[c], y, cols[c], row_h, stroke=None, fill=LABEL_FILL))
                ops.append(TextRun(xs[c] + cols[c] / 2, base, h.get(key, key), BODY,
                                   align="center"))
                ops.append(TextRun(xs[c + 1] + 8, base, values.get(key, ""), BODY))
        # Grid lines over the fills.
        bottom = top + len(rows) * row_h
        ops.append(Rect(MARGIN_X, top, CONTENT_W, bottom - top, stroke_width=1.0))
        for r in range(1, len(rows)):
            y = top + r * row_h
            ops.append(Line(MARGIN_X, y, MARGIN_X + CONTENT_W, y, 0.5))
        for r, (_, right_key) in enumerate(rows):
            y = top + r * row_h
            for c in (1, 2, 3) if right_key is not None else (1,):
                ops.append(Line(xs[c], y, xs[c], y + row_h, 0.5))
        return bottom

    def _scores(self, ops: list[Op], data: CertificateData, y: float) -> float:
        sections = self.report.sections
        ops.append(TextRun(MARGIN_X, y, f"C.1 {sections.get('C.1', '')}", BODY, bold=True))
        half = CONTENT_W / 2
        for index, dim in enumerate(self.form.dimensions):
            row, col = divmod(index, 2)
            x = MARGIN_X + 12 + col * half
            base = y + LEAD * 1.25 + row * (LEAD + 3)
            value = str(data.subtotals[index]) if index < len(data.subtotals) else ""
            self._filled(ops, x, base, f"{dim.report_key} {dim.report_label}：", value, "分")
        y += LEAD * 1.25 + ((len(self.form.dimensions) + 1) // 2 - 1) * (LEAD + 3)
        y += LEAD * 1.5
        self._filled(ops, MARGIN_X, y, f"C.2 {sections.get('C.2', '')}：", str(data.total), "分",
                     bold_label=True)
        return y + LEAD * 1.5

    def _grades(self, ops: list[Op], data: CertificateData, y: float) -> float:
        sections = self.report.sections
        ops.append(TextRun(MARGIN_X, y, f"C.3 {sections.get('C.3', '')}：", BODY, bold=True))
        y = self._grade_boxes(ops, data.initial_grade, y + LEAD * 1.2)
        # C.4: lead sentence, then one box per rule in box order.
        y += LEAD * 1.4
        y = self._lead(ops, "C.4", self._c4_lead, y)
        reasons = set(data.reasons)
        for rule, lines in zip(self.rules, self._c4_boxes, strict=True):
            y += 2
            self._boxed(ops, MARGIN_X + 12, y, lines[0], rule.code in reasons)
            for line in lines[1:]:
                y += LEAD - 2
                ops.append(TextRun(MARGIN_X + 12 + BOX + 3, y, line, BODY))
            y += LEAD
        # C.5: lead sentence, then the five grades with the final one ticked.
        y += LEAD * 0.4
        y = self._lead(ops, "C.5", self._c5_lead, y)
        return self._grade_boxes(ops, data.final_grade, y + 2) + LEAD

    def _lead(self, ops: list[Op], key: str, lines: Sequence[str], y: float) -> float:
        """A wrapped lead sentence whose ``C.x 标题：`` opening is set in bold."""
        heading = f"{key} {self.report.sections.get(key, '')}："
        for i, line in enumerate(lines):
            if i == 0 and line.startswith(heading):
                ops.append(TextRun(MARGIN_X, y, heading, BODY, bold=True))
                rest = line[len(heading):]
                if rest:
                    ops.append(TextRun(MARGIN_X + self.measure(heading, BODY), y, rest, BODY))
            else:
                ops.append(TextRun(MARGIN_X, y, line, BODY))
            y += LEAD
        return y

    def _grade_boxes(self, ops: list[Op], grade: int, y: float) -> float:
        last_row = 0
        for index, ((x, row), name) in enumerate(zip(self._grade_flow, self.grade_names,
                                                      strict=True)):
            self._boxed(ops, x, y + row * (LEAD + 2), name, index == grade)
            last_row = row
        return y + last_row * (LEAD + 2)

    def _signoff(self, ops: list[Op], data: CertificateData, y: float) -> float:
        labels = self.report.sign_off
        right = MARGIN_X + CONTENT_W
        ops.append(Line(MARGIN_X, y, right, y, 0.8))
        y += LEAD * 1.5
        self._filled(ops, MARGIN_X, y, f"{labels.get('place', '评估地点')}：", data.place,
                     min_width=260)
        date_label = f"{labels.get('date', '日期')}："
        date_x = right - 150
        # Assessors: two signature lines with the recorded names printed beneath.
        y += LEAD * 1.9
        label = f"{labels.get('assessors', '评估员签名')}："
        ops.append(TextRun(MARGIN_X, y, label, BODY))
        x = MARGIN_X + self.measure(label, BODY)
        slot = 92.0
        for i, person in enumerate(data.assessors):
            ops.append(Line(x, y + 2.5, x + slot, y + 2.5, 0.6))
            self._handwriting(ops, data.signatures.get(f"sign.assessor_{i + 1}_signature"),
                              x, y + 1.5, slot)
            if person:
                ops.append(TextRun(x + slot / 2, y + 13, f"（{person}）", SMALL, align="center",
                                   color=GREY))
            x += slot
            if i == 0:
                ops.append(TextRun(x + 2, y, "、", BODY))
                x += 4 + self.measure("、", BODY)
        ops.append(TextRun(date_x, y, date_label + chinese_date(data.assessor_date), BODY))
        # Information provider (a little lower: room for a drawn signature under the names).
        y += LEAD * 2.2
        label = f"{labels.get('provider', '信息提供者签名')}："
        ops.append(TextRun(MARGIN_X, y, label, BODY))
        x = MARGIN_X + self.measure(label, BODY)
        ops.append(Line(x, y + 2.5, x + slot, y + 2.5, 0.6))
        self._handwriting(ops, data.signatures.get("sign.provider_signature"), x, y + 1.5, slot)
        if data.provider_name:
            who = data.provider_name + (f"，{data.provider_relation}" if data.provider_relation
                                        else "")
            ops.append(TextRun(x + slot / 2, y + 13, f"（{who}）", SMALL, align="center",
                               color=GREY))
        ops.append(TextRun(date_x, y, date_label + chinese_date(data.provider_date), BODY))
        return y + 14

    @staticmethod
    def _handwriting(ops: list[Op], stored: Any, x: float, bottom: float, width: float) -> None:
        """A drawn signature scaled into the space above its line (bottom at ``bottom``);
        nothing when none was drawn: the blank line is signed on paper."""
        found = signature_strokes(stored)
        if found is None:
            return
        w, h, strokes = found
        height = SIGNATURE_HEIGHT
        scale = min(width / w, height / h)
        left = x + (width - w * scale) / 2
        top = bottom - h * scale
        for stroke in strokes:
            if len(stroke) == 1:
                (px, py), = stroke
                ops.append(Line(left + px * scale, top + py * scale,
                                left + px * scale + 0.4, top + py * scale, 0.9))
                continue
            for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
                ops.append(Line(left + x0 * scale, top + y0 * scale,
                                left + x1 * scale, top + y1 * scale, 0.9))

    def _services(self, ops: list[Op], services: ServicesBlock | None, top: float) -> None:
        if services is None:
            return
        bottom = A4_HEIGHT - 44
        mark = "（暂行）" if services.provisional and "暂行" not in services.list_name else ""
        title = f"可申请的基本养老服务项目（{services.list_name}{mark}）"
        meta = f"清单版本：{services.list_version}；匹配日期：{chinese_date(services.as_of)}"
        if services.local:
            meta += f"；{LOCAL_MARK}"
        note = "注：所引用的服务清单为暂行清单，以民政部门正式公布的清单为准。"
        pad = 7.0
        fixed = pad + 12 + 12 + (11 if services.provisional else 0) + pad - 4
        cells: list[tuple[float, int, str]] = []
        size, leading = 9.5, 13.5
        for size, columns in ((9.5, 2), (8.5, 2), (8.5, 3), (7.5, 3), (6.5, 3)):
            leading = size + 4
            cells = self._service_cells(services.items, CONTENT_W - 2 * pad, size, columns)
            rows = max((row for _, row, _ in cells), default=0) + 1
            if top + fixed + rows * leading <= bottom:
                break
        rows = max((row for _, row, _ in cells), default=0) + 1
        box_h = min(fixed + rows * leading, bottom - top)
        ops.append(Rect(MARGIN_X, top, CONTENT_W, box_h, stroke_width=0.8))
        x = MARGIN_X + pad
        y = top + pad + 9
        ops.append(TextRun(x, y, title, 10, bold=True))
        y += 12
        ops.append(TextRun(x, y, meta, 7.5, color=GREY))
        if not cells:
            ops.append(TextRun(x, y + leading, "（无）", size))
        for cx, row, text in cells:
            ops.append(TextRun(x + cx, y + (row + 1) * leading, text, size))
        if services.provisional:
            ops.append(TextRun(x, top + box_h - pad, note, 7.5, color=RED))

    def _service_cells(self, items: Sequence[ServiceLine], width: float, size: float,
                       columns: int) -> list[tuple[float, int, str]]:
        """(x, row, text) of each item in ``columns`` columns; a long item gets whole rows."""
        cells: list[tuple[float, int, str]] = []
        column_w = width / columns
        row, col = 0, 0
        for item in items:
            text = f"{item.item_id}　{item.name}"
            if self.measure(text, size) <= column_w - 8:
                cells.append((col * column_w, row, text))
                col += 1
                if col == columns:
                    row, col = row + 1, 0
                continue
            if col:
                row, col = row + 1, 0
            for line in wrap_text(text, width, size, self.measure):
                cells.append((0.0, row, line))
                row += 1
        return cells


def certificate_pages(items: Iterable[CertificateData], signer: CertificateSigner,
                      layout: CertificateLayout | None = None,
                      reprint: ReprintMark | None = None) -> Iterator[Page]:
    """Lay out certificates one by one (a generator, so a batch streams)."""
    layout = layout or CertificateLayout()
    for data in items:
        yield layout.page(data, signer.qr_text(data), reprint)


def certificate_document(data: CertificateData, signer: CertificateSigner,
                         layout: CertificateLayout | None = None,
                         reprint: ReprintMark | None = None) -> Document:
    """One certificate as a :class:`Document` (for the PDF writer and the print preview)."""
    layout = layout or CertificateLayout()
    page = layout.page(data, signer.qr_text(data), reprint)
    return Document(title=f"{layout.report.title} {data.certificate_no}", pages=(page,),
                    subject=data.name)
