"""Offline enrolment (``enrol.html``): the laptop's enrolment request file goes up, the
county's signed response file comes back as a download (the same
:func:`server.enrolment.enrol` and the same file as ``yinling county enrol-device``)."""

from __future__ import annotations

from typing import Any

from server.web.labels import UI
from server.web.townships_view import ENROL_URL, TOWNSHIPS_URL


def form(max_bytes: int, problem: str = "", filename: str = "") -> dict[str, Any]:
    """The upload form (with the reason and file name when the last one was refused)."""
    return {"problem": problem, "filename": filename, "max_kb": max_bytes // 1024,
            "enrol_url": ENROL_URL, "devices_url": f"{UI}/devices",
            "townships_url": TOWNSHIPS_URL}
