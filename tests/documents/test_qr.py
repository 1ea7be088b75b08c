"""The fast QR encoder: identical to segno for the same version, level and mask; decodable."""

from __future__ import annotations

import random

import numpy as np
import pytest
import segno

from assessment.documents.qr import QrTooLong, matrix_runs, qr_matrix, qr_runs


@pytest.mark.parametrize("length", [47, 90, 150, 198, 260, 340, 480])
def test_alphanumeric_matches_segno(length: int) -> None:
    # Letters only: segno switches to numeric segments inside runs of digits.
    rng = random.Random(length)
    text = "YL." + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ.") for _ in range(length))
    ours = qr_matrix(text)
    size = ours.shape[0]
    reference = segno.make(text, error="m", micro=False, mask=2, boost_error=False,
                           version=(size - 17) // 4)
    assert reference.mode == "alphanumeric"
    assert np.array_equal(np.array(reference.matrix, dtype=np.bool_), ours)


@pytest.mark.parametrize("text", ["YL1.ABC", "certificate abc", "x" * 120, "YL1." + "Q7" * 100,
                                  "YL1.AHTSI6RFTIA2EAVDDS3HXI4CCKBQQNZW.HQK6PJ2F54YNE2EXMV2345"])
def test_decodes_with_zbar(text: str) -> None:
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    from PIL import Image

    matrix = qr_matrix(text)
    pixels = np.pad(~matrix, 4, constant_values=True).repeat(5, 0).repeat(5, 1)
    try:
        found = pyzbar.decode(Image.fromarray(pixels.astype(np.uint8) * 255))
    except ImportError:  # pragma: no cover - libzbar missing
        pytest.skip("libzbar 未安装")
    assert [f.data.decode("utf-8") for f in found] == [text]


def test_runs_cover_exactly_the_dark_modules() -> None:
    matrix = qr_matrix("YL1.RUNS")
    rebuilt = np.zeros_like(matrix)
    for row, col, length in matrix_runs(matrix):
        rebuilt[row, col:col + length] = True
    assert np.array_equal(rebuilt, matrix)
    assert qr_runs("YL1.RUNS").modules == matrix.shape[0]


def test_too_long() -> None:
    with pytest.raises(QrTooLong):
        qr_matrix("x" * 2000)
