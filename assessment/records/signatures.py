"""Handwritten signatures on the sign-off page: the two assessors and the information provider.

A signature is drawn with a mouse, a touchpad or a pen and kept as strokes in the assessment's
answers (``sign.assessor_1_signature`` …), so it is part of the assessment's change payload
(its hash and the device's hash chain) and is printed on the certificate; a short digest of the
signatures is also inside the certificate's signed QR code (payload version 2). A signature
that was not drawn leaves its line blank for signing on paper.

Stored form: ``{"w": width, "h": height, "strokes": [[x0, y0, x1, y1, …], …]}`` with integer
coordinates inside the ``w``×``h`` box. :func:`signature_problem` is the one reader, with
limits on size and point count.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from assessment.wire.changes import canonical_json

SIGNATURE_KEYS = {
    "sign.assessor_1_signature": "评估员（一）手写签名",
    "sign.assessor_2_signature": "评估员（二）手写签名",
    "sign.provider_signature": "信息提供者手写签名",
}
MAX_STROKES = 200
MAX_POINTS = 6_000
MAX_SIDE = 4_000
DIGEST_BYTES = 8

Strokes = tuple[tuple[tuple[int, int], ...], ...]


def _int(value: Any) -> bool:
    return type(value) is int


def signature_problem(value: Any) -> str | None:
    """Why ``value`` is not a stored signature (``None`` when it is one)."""
    if not isinstance(value, Mapping) or set(value) != {"w", "h", "strokes"}:
        return "手写签名应含 w、h、strokes 三项"
    width, height, strokes = value["w"], value["h"], value["strokes"]
    if not (_int(width) and _int(height) and 0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        return f"手写签名的宽高应为 1–{MAX_SIDE} 的整数"
    if not isinstance(strokes, list) or not 0 < len(strokes) <= MAX_STROKES:
        return f"手写签名应有 1–{MAX_STROKES} 笔"
    points = 0
    for stroke in strokes:
        if not isinstance(stroke, list) or not stroke or len(stroke) % 2:
            return "手写签名的每一笔应为成对的坐标"
        points += len(stroke) // 2
        if points > MAX_POINTS:
            return f"手写签名的点数不能超过 {MAX_POINTS}"
        for index, coordinate in enumerate(stroke):
            limit = width if index % 2 == 0 else height
            if not _int(coordinate) or not 0 <= coordinate <= limit:
                return "手写签名的坐标超出范围"
    return None


def signature_strokes(value: Any) -> tuple[int, int, Strokes] | None:
    """``(w, h, strokes as point tuples)`` of a stored signature, ``None`` when absent or
    unreadable."""
    if value is None or signature_problem(value) is not None:
        return None
    strokes = tuple(tuple((stroke[i], stroke[i + 1]) for i in range(0, len(stroke), 2))
                    for stroke in value["strokes"])
    return int(value["w"]), int(value["h"]), strokes


def signatures_digest(answers: Mapping[str, Any]) -> bytes | None:
    """A short digest of the handwritten signatures of an assessment (for the certificate's
    signed code); ``None`` when none was drawn."""
    drawn = {key: answers[key] for key in SIGNATURE_KEYS if answers.get(key) is not None}
    if not drawn:
        return None
    return hashlib.sha256(b"yinling-signatures/1|" + canonical_json(drawn)).digest()[
        :DIGEST_BYTES]
