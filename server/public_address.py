"""The county's public address: where phones reach the certificate page ``/v/…``.

Set once with ``--public-url`` (``yinling serve`` or any ``yinling county`` command) and kept
in the data folder, so every later start and every county command knows it; laptops receive
it, signed, in their enrolment answer and put it in their certificates' QR codes.
"""

from __future__ import annotations

import os
from pathlib import Path

from assessment.wire.public_url import check_public_url

FILE_NAME = "public_url"


def resolve_public_url(data_dir: Path, given: str = "") -> str:
    """The checked address: ``given`` (then remembered in ``data_dir``), else the remembered
    one, else ``""`` (laptops then print the bare signed code)."""
    path = data_dir / FILE_NAME
    if given:
        clean = check_public_url(given, "--public-url")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(clean + "\n")
        return clean
    try:
        stored = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return check_public_url(stored, str(path)) if stored else ""
