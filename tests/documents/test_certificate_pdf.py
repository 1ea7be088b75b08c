"""The certificate PDF read back: text, grades, scores, fonts, QR code, reprint mark."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from assessment.devicekeys import DeviceSigningKey
from assessment.documents.certificate import CertificateLayout, CertificateSigner
from assessment.documents.fonts import find_cjk_font
from assessment.documents.layout import CheckBox, TextRun
from assessment.documents.verification import verify_certificate_text
from assessment.forms import default_form
from tests.documents.conftest import needs_tool, sample_data


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def compact(text: str) -> str:
    return "".join(text.split())


@needs_tool("pdftotext")
def test_text_has_person_scores_and_verbatim_form_text(certificate_pdf: Path) -> None:
    text = compact(pdf_text(certificate_pdf))
    form = default_form()
    assert "张桂兰" in text
    assert form.report.title in text
    for band in form.grades:
        assert band.name in text
    for rule in form.change_rules:
        assert compact(rule.text) in text
    assert compact(f"C.4{form.report.c4_lead}") in text
    assert compact(f"C.5{form.report.c5_lead}") in text
    for label, score in (("自理能力得分：", "27"), ("基础运动能力得分：", "11"),
                         ("精神状态得分：", "26"), ("感知觉与社会参与得分：", "9")):
        assert f"{label}{score}分" in text
    assert "初步等级得分：73分" in text
    assert sample_data().id_number in text  # printed in full, as the standard requires
    assert "暂行" in text
    assert "N02" in text


@needs_tool("pdftotext")
def test_boxes_read_as_ticked_and_unticked(certificate_pdf: Path) -> None:
    # The embedded font (WenQuanYi Zen Hei, installed by tools/run.py) has ☑ and □: a
    # certificate without them reads as unticked on a screen reader or in a text search.
    text = compact(pdf_text(certificate_pdf))
    assert "☑能力轻度受损（轻度失能）" in text  # C.3
    assert "☑能力中度受损（中度失能）" in text  # C.5
    assert text.count("☑") == 4  # one in C.3, two in C.4, one in C.5
    assert text.count("□") == 5 + 5 + 3 - 4


def test_layout_ticks_exactly_one_grade_per_section() -> None:
    layout = CertificateLayout()
    keys = DeviceSigningKey.generate()
    page = layout.page(sample_data(), CertificateSigner(keys, b"k" * 32).code_for(sample_data()))
    boxes = [op for op in page.ops if isinstance(op, CheckBox)]
    assert len(boxes) == 13
    assert [b.ticked for b in boxes[:5]] == [False, True, False, False, False]
    assert [b.ticked for b in boxes[5:8]] == [False, True, True]
    assert [b.ticked for b in boxes[8:]] == [False, False, True, False, False]
    texts = [op for op in page.ops if isinstance(op, TextRun)]
    assert all(0 < t.y < page.height and 0 <= t.x < page.width for t in texts)


@needs_tool("pdffonts")
def test_cjk_font_is_embedded(certificate_pdf: Path) -> None:
    font = find_cjk_font()
    assert font.embedded, "no embeddable CJK TrueType font (tools/run.py installs WenQuanYi)"
    listing = subprocess.run(["pdffonts", str(certificate_pdf)], check=True,
                             capture_output=True, text=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    cjk = [row for row in rows if row and font.path is not None
           and row[0].split("+")[-1].startswith(("WenQuanYi", "AR", "Sim", "Microsoft", "Noto",
                                                  "Droid"))]
    assert cjk, listing
    assert all(row[-5] == "yes" for row in cjk)  # the "emb" column


@needs_tool("pdftoppm")
def test_qr_on_the_page_decodes_and_verifies(certificate_pdf: Path, tmp_path: Path,
                                            signer: CertificateSigner) -> None:
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    from PIL import Image

    subprocess.run(["pdftoppm", "-png", "-r", "200", str(certificate_pdf),
                    str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page*.png")))
    try:
        found = pyzbar.decode(image)
    except ImportError:  # pragma: no cover - libzbar missing
        pytest.skip("libzbar 未安装")
    assert len(found) == 1
    text = found[0].data.decode("ascii")
    assert text == signer.code_for(sample_data())
    result = verify_certificate_text(text, [signer.keys.public])
    assert result.valid
    assert result.claims is not None
    assert result.claims.certificate_no == "K7Q2M4-000123"
    assert sample_data().id_number not in text


@needs_tool("pdftotext")
def test_reprint_is_marked(reprint_pdf: Path, certificate_pdf: Path) -> None:
    assert "补打" in pdf_text(reprint_pdf)
    assert "补打" not in pdf_text(certificate_pdf)
