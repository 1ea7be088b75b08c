"""Printing through a real print system: a private CUPS scheduler with a cups-pdf queue, the
same code path as 打印 (the print dialog's printer, then QPainter on the named CUPS printer),
for one certificate and for a batch; the PDFs cups-pdf writes are read back: A4, fonts
embedded, one page per certificate, nothing clipped or shifted by the printer's margins (the
text sits where the layout put it and the QR code still decodes).

On Linux the test fails (never skips) when CUPS cannot be set up: ``tools/run.py test``
installs the packages it needs."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from pytestqt.qtbot import QtBot

from app.documents.printing import batch_certificates, print_certificate_now
from assessment.documents.certificate import MARGIN_X
from assessment.documents.pdf import write_pages
from assessment.records.workspace import Workspace
from assessment.usecases.certificates import prepare_certificate
from testkit.cups import PrivateCups, cups_problem
from tests.gui.test_printing import actions, finalized_ids

A4_POINTS = (595.0, 842.0)
DPI = 100


@pytest.fixture
def cups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateCups]:
    """A running private scheduler with a cups-pdf queue; the app's CUPS client uses it."""
    problem = cups_problem()
    if problem == "not linux":
        pytest.skip("CUPS 打印测试只在 Linux 上运行")
    if problem is not None:
        pytest.fail(f"无法建立 CUPS 打印队列：{problem}")
    # A short socket path (the UNIX socket limit is ~100 bytes).
    server = PrivateCups(Path(f"/tmp/yl-cups-{tmp_path.name[-12:]}")).start()
    monkeypatch.setenv("CUPS_SERVER", str(server.socket))
    try:
        yield server
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", str(server.root)], check=False)


def choose_printer(monkeypatch: pytest.MonkeyPatch, queue: str | None) -> list[QPrinter]:
    """The print dialog as a user who picks the CUPS queue (or keeps the preselected printer
    when ``queue`` is None) and presses 打印."""
    used: list[QPrinter] = []

    def pick(dialog: QPrintDialog) -> int:
        printer = dialog.printer()
        if queue is not None:
            printer.setPrinterName(queue)
        used.append(printer)
        return int(QPrintDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(QPrintDialog, "exec", pick)
    return used


def pdf_info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                         text=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def ink_box(png: Path) -> tuple[float, float, float, float]:
    """The bounding box of everything printed on a rendered page, in points."""
    from PIL import Image

    with Image.open(png) as picture:
        pixels = np.asarray(picture.convert("L"))
    rows = np.where((pixels < 160).any(axis=1))[0]
    cols = np.where((pixels < 160).any(axis=0))[0]
    scale = 72 / DPI
    return (cols[0] * scale, rows[0] * scale, (cols[-1] + 1) * scale, (rows[-1] + 1) * scale)


def render(pdf: Path, folder: Path, stem: str, dpi: int = DPI) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(folder / stem)],
                   check=True)
    return sorted(folder.glob(f"{stem}*.png"))


def check_pages(pdf: Path, reference: list[Path], tmp_path: Path) -> None:
    """A4, every font embedded, one page per certificate, and each page printed whole where
    the layout put it: the same ink box as the certificate's own PDF (nothing clipped or
    shifted by the printer's margins), with a QR code that decodes."""
    pages = len(reference)
    info = pdf_info(pdf)
    assert int(info["Pages"]) == pages
    size = re.findall(r"[\d.]+", info["Page size"])
    assert abs(float(size[0]) - A4_POINTS[0]) < 2
    assert abs(float(size[1]) - A4_POINTS[1]) < 2
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                           text=True).stdout.splitlines()[2:]
    assert fonts
    assert all(row.split()[-5] == "yes" for row in fonts), fonts  # the "emb" column
    printed = render(pdf, tmp_path / "printed", "page")
    assert len(printed) == pages
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    from PIL import Image

    sharp = render(pdf, tmp_path / "sharp", "page", dpi=200)
    for index, (page, expected) in enumerate(zip(printed, reference, strict=True)):
        box, want = ink_box(page), ink_box(expected)
        assert abs(box[0] - MARGIN_X) < 3, (index, box)  # the layout's own left margin
        for got, wanted in zip(box, want, strict=True):
            assert abs(got - wanted) < 3, (index, box, want)  # nothing clipped or moved
        # The QR is read from a sharper rendering than the ink-box comparison needs: at the
        # comparison's resolution a dense code decodes only some of the time.
        with Image.open(sharp[index]) as picture:
            assert len(pyzbar.decode(picture)) == 1  # the QR is whole


def reference_pages(workspace: Workspace, ids: list[str], folder: Path) -> list[Path]:
    """The certificates as their own PDF (what the print must look like), rendered."""
    pages = [page for i in ids
             for page in prepare_certificate(workspace, i).document.pages]
    pdf = folder / "reference.pdf"
    folder.mkdir(parents=True, exist_ok=True)
    write_pages(pages, pdf, title="reference")
    return render(pdf, folder, "ref")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="CUPS 测试只在 Linux 上运行")
def test_print_one_and_a_batch_through_cups(qtbot: QtBot, workspace: Workspace,
                                            cups: PrivateCups, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    ids = finalized_ids(workspace, 3)
    single_ref = reference_pages(workspace, ids[:1], tmp_path / "ref1")
    # The printer named in 设置 (打印机) is preselected: the user just presses 打印.
    workspace.settings.set("printer_name", cups.queue)
    used = choose_printer(monkeypatch, None)
    assert print_certificate_now(None, workspace, ids[0])  # what 打印 calls
    assert used[-1].printerName() == cups.queue
    assert used[-1].outputFormat() == QPrinter.OutputFormat.NativeFormat
    first = cups.wait_for_pdfs(1)
    assert actions(workspace, ids[0])[-1] == "print_certificate"
    check_pages(first[0], single_ref, tmp_path / "single")

    batch_ref = reference_pages(workspace, ids, tmp_path / "ref3")
    workspace.settings.set("printer_name", "")
    choose_printer(monkeypatch, cups.queue)  # chosen in the print dialog this time
    handle = batch_certificates(None, workspace, ids, mode="print")
    assert handle is not None
    qtbot.waitUntil(lambda: handle.outcome is not None or handle.error is not None,
                    timeout=120_000)
    assert handle.error is None
    both = cups.wait_for_pdfs(2)
    batch = next(p for p in both if p != first[0])
    check_pages(batch, batch_ref, tmp_path / "batch")  # one page per certificate
    assert actions(workspace, ids[0])[-1] == "reprint_certificate"  # printed on paper before
    assert actions(workspace, ids[2])[-1] == "print_certificate"
