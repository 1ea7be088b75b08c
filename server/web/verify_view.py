"""The public certificate page ``/v/…``: what a phone shows after scanning a certificate.

No sign-in, no scripts, no personal data (see :mod:`server.certificate_check`); the page
(``verify.html``) uses the county pages' stylesheet and carries the same security headers.
"""

from __future__ import annotations

from typing import Any

from server.certificate_check import PublicCheck


def chinese_date(check: PublicCheck) -> str:
    """The assessment date as the certificate prints it (``2026年3月5日``)."""
    day = check.reference_date
    return f"{day.year}年{day.month}月{day.day}日" if day is not None else ""


def context(check: PublicCheck) -> dict[str, Any]:
    """What ``verify.html`` shows for one check."""
    return {"title": "证书有效" if check.valid else "证书无效", "check": check,
            "day": chinese_date(check)}
