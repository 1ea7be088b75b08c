"""Certificate batch printing and statistics.

Workloads:

* ``certificates_pdf``: ``size`` certificates (sign, QR, layout, draw) into one PDF, against a
  floor of bare reportlab pages carrying the same text runs in the same embedded font at the
  same positions (laid out before timing). Goal: ratio ≤ 2.
* ``certificate_qr_segno_search`` / ``certificate_qr_segno_fixed``: the QR codes of ``size``
  signed certificate texts encoded by segno (with its mask search / with one fixed mask),
  against the project's own fixed-mask encoder (``documents/qr.py``), with the
  ``certificates_pdf`` ratio segno would give. The own encoder stays while segno would break
  the ratio-≤-2 goal.
* ``statistics_100k``: every statistics table over 100,000 synthetic elders, against a floor
  of bare pandas ``value_counts`` of the same columns. Goal: ≤ 2 s.
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from functools import partial

import numpy as np
import pandas as pd
import segno
from reportlab.pdfgen.canvas import Canvas

from assessment.devicekeys import DeviceSigningKey
from assessment.documents.certificate import (
    CertificateData,
    CertificateLayout,
    CertificateSigner,
    ServiceLine,
    ServicesBlock,
    certificate_pages,
)
from assessment.documents.fonts import find_cjk_font
from assessment.documents.layout import TextRun
from assessment.documents.pdf import write_pages
from assessment.documents.qr import matrix_runs, qr_runs
from assessment.documents.statistics import StatisticsInput, compute_statistics
from assessment.identity import make_resident_id
from assessment.ids import new_id
from benchmarks.harness import median_of, record

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "桂兰秀英建国志强玉梅淑珍福德金花永红春生"
_REASONS = ("首次评估", "常规评估", "即时评估", "因对评估结果有疑问进行的复评", "其他")
_ITEMS = (("N01", "老年人能力综合评估"), ("N02", "高龄津贴"),
          ("N03", "经济困难老年人养老服务补贴"), ("N11", "探访关爱"), ("N15", "老年人健康管理"))


def sample_certificates(size: int, device_code: str, seed: int = 7) -> list[CertificateData]:
    """``size`` plausible, varied certificates (synthetic people)."""
    rng = random.Random(seed)
    out = []
    for i in range(size):
        birth = date(1930, 1, 1) + timedelta(days=rng.randrange(0, 365 * 35))
        male = rng.random() < 0.45
        subtotals = (rng.randint(0, 32), rng.randint(0, 15), rng.randint(0, 28),
                     rng.randint(0, 15))
        total = sum(subtotals)
        initial = 0 if total == 90 else 1 if total >= 66 else 2 if total >= 46 else \
            3 if total >= 30 else 4
        reasons = tuple(code for code in ("coma", "diagnosis", "risk_events")
                        if rng.random() < 0.1)
        final = 4 if "coma" in reasons else min(4, initial + (1 if reasons else 0))
        items = tuple(ServiceLine(a, b) for a, b in _ITEMS[: rng.randint(1, len(_ITEMS))])
        out.append(CertificateData(
            certificate_no=f"{device_code}-2026-{i + 1:06d}", assessment_id=new_id(),
            assessment_no=f"140421-2026-{i + 1:05d}", reference_date=date(2026, 11, 22),
            reason=rng.choice(_REASONS),
            name=rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN),
            sex="男" if male else "女", birth_date=birth,
            id_number=make_resident_id("140421", birth, rng.randrange(1000), male),
            subtotals=subtotals, total=total, initial_grade=initial, reasons=reasons,
            final_grade=final, place=f"老顶山镇第{rng.randint(1, 30)}村",
            assessors=("王建国", "李秀英"), assessor_date=date(2026, 11, 22),
            provider_name="张志强", provider_relation="子女",
            services=ServicesBlock("山西省基本养老服务清单", "shanxi-provisional@2026.1", True,
                                   date(2026, 11, 22), items),
            printed_on=date(2026, 11, 22)))
    return out


def _floor_pdf(texts: list[list[tuple[float, float, str, float]]], font_name: str) -> None:
    canvas = Canvas(io.BytesIO(), pageCompression=1, initialFontName=font_name)
    height = 841.89
    for page in texts:
        size_now = 0.0
        for x, y, text, size in page:
            if size != size_now:
                canvas.setFont(font_name, size)
                size_now = size
            canvas.drawString(x, height - y, text)
        canvas.showPage()
    canvas.save()


def run_certificates(size: int) -> dict[str, object]:
    """Time ``size`` certificates into one PDF against the bare-text floor."""
    font = find_cjk_font()
    keys = DeviceSigningKey.generate()
    signer = CertificateSigner(keys, b"\x01" * 32)
    layout = CertificateLayout(font=font)
    data = sample_certificates(size, keys.key_code)
    pages = list(certificate_pages(data[:size], signer, layout))
    texts = [[(op.x, op.y, op.text, op.size) for op in page.ops if isinstance(op, TextRun)]
             for page in pages]

    def ours() -> None:
        fresh = CertificateLayout(font=font)
        write_pages(certificate_pages(data, signer, fresh), io.BytesIO(), font)

    def floor() -> None:
        _floor_pdf(texts, font.name)

    ours_s = median_of(3, ours)
    floor_s = median_of(3, floor)
    return record("certificates_pdf", ours_s, "s", floor_s, "ratio <= 2", certificates=size,
                  per_certificate_ms=round(ours_s / size * 1e3, 3), font=font.display_name)


def run_qr(size: int, certificates: dict[str, object]) -> list[dict[str, object]]:
    """The certificate's QR code by segno (mask search, then one fixed mask) against the
    project's own encoder, for ``size`` signed certificate texts.

    ``pdf_ratio_if_used`` estimates the ``certificates_pdf`` ratio had segno drawn the codes:
    that run's figure plus the extra QR time, over that run's floor.
    """
    keys = DeviceSigningKey.generate()
    signer = CertificateSigner(keys, b"\x01" * 32)
    texts = [signer.code_for(item) for item in sample_certificates(size, keys.key_code)]

    def segno_runs(mask: int | None) -> None:
        for text in texts:
            symbol = segno.make_qr(text, error="m", mask=mask, boost_error=False)
            matrix_runs(np.array(symbol.matrix, dtype=np.bool_))

    def ours() -> None:
        for text in texts:
            qr_runs(text)

    ours_s = median_of(3, ours)
    pdf_s, pdf_floor = certificates["figure"], certificates["floor"]
    lines = []
    for name, mask in (("certificate_qr_segno_search", None), ("certificate_qr_segno_fixed", 2)):
        segno_s = median_of(3, partial(segno_runs, mask))
        extra: dict[str, object] = {}
        if isinstance(pdf_s, float) and isinstance(pdf_floor, float):
            extra["pdf_ratio_if_used"] = round((pdf_s + segno_s - ours_s) / pdf_floor, 3)
        lines.append(record(name, segno_s, "s", ours_s, "report: segno vs the own encoder",
                            codes=size, segno_per_code_ms=round(segno_s / size * 1e3, 3),
                            own_per_code_ms=round(ours_s / size * 1e3, 3),
                            modules=qr_runs(texts[0]).modules, **extra))
    return lines


def run(size: int = 1000) -> list[dict[str, object]]:
    """All workloads: ``size`` certificates and their QR codes, statistics over 100 × ``size``
    elders."""
    certificates = run_certificates(size)
    return [certificates, *run_qr(size, certificates), run_statistics(size * 100)]


def synthetic_statistics_input(size: int, seed: int = 11) -> StatisticsInput:
    """``size`` synthetic elders in 12 townships × 20 villages, with assessments and
    eligibility results for the provisional list's items."""
    rng = np.random.default_rng(seed)
    townships = np.array([f"第{i + 1}镇" for i in range(12)], dtype=object)
    villages = np.array([f"{j + 1}村" for j in range(20)], dtype=object)
    t = rng.integers(0, len(townships), size)
    v = rng.integers(0, len(villages), size)
    birth = (np.datetime64("1925-01-01") + rng.integers(0, 365 * 41, size)
             .astype("timedelta64[D]"))
    grade = rng.integers(-1, 5, size).astype(np.float64)
    grade[grade < 0] = np.nan
    last = np.datetime64("2025-01-01") + rng.integers(0, 700, size).astype("timedelta64[D]")
    ids = np.array([f"e{i:07d}" for i in range(size)], dtype=object)
    elders = pd.DataFrame({
        "elder_id": ids, "name": "某某", "township": townships[t],
        "village": np.char.add(townships[t].astype(str), villages[v].astype(str)),
        "sex": np.where(rng.random(size) < 0.46, "男", "女"), "birth_date": birth,
        "current_grade": grade,
        "last_assessed": np.where(np.isnan(grade), np.datetime64("NaT"), last),
    })
    assessed = ~np.isnan(grade)
    assessments = pd.DataFrame({
        "assessment_id": ids[assessed], "elder_id": ids[assessed],
        "reference_date": last[assessed],
        "reason": rng.choice(["首次评估", "常规评估", "即时评估"], int(assessed.sum())),
        "final_grade": grade[assessed].astype(np.int64),
    })
    results = np.array(["eligible", "not_eligible", "undetermined"], dtype=object)
    eligibility = pd.DataFrame(
        {f"N{k:02d}": pd.Categorical(results[rng.integers(0, 3, size)]) for k in range(1, 16)},
        index=pd.Index(ids, name="elder_id"))
    names = {f"N{k:02d}": f"服务项目{k}" for k in range(1, 16)}
    return StatisticsInput(elders, assessments, eligibility, names)


def run_statistics(size: int) -> dict[str, object]:
    """Time every statistics table over ``size`` synthetic elders against bare pandas."""
    source = synthetic_statistics_input(size)
    as_of = date(2026, 11, 22)

    def ours() -> None:
        compute_statistics(source, as_of=as_of, start=date(2026, 1, 1), end=as_of)

    def floor() -> None:
        e = source.elders
        e.groupby(["township", "village"]).size()
        e["current_grade"].value_counts(dropna=False)
        e["sex"].value_counts()
        e["birth_date"].dt.year.value_counts()
        source.assessments["reason"].value_counts()
        results = source.eligibility
        if results is not None:
            for column in results.columns:
                results[column].value_counts()

    ours_s = median_of(3, ours)
    floor_s = median_of(3, floor)
    return record("statistics_100k", ours_s, "s", floor_s, "figure <= 2 s", elders=size)
