"""The certificate QR as a link to the county's public verification page.

A phone that scans a certificate should open something useful: once a laptop is enrolled, the
QR holds ``<county public address>/v/<signed code>``; the county's page ``/v/…`` says whether
the certificate is valid and shows its number, grade, date and issuing township (never personal
data). The signed code (:mod:`assessment.documents.certificate_code`) stays inside the link, so
``yinling verify-certificate`` still checks it offline, from the link or from the bare code.
Before enrolment the laptop knows no address and the QR holds the code alone.

To keep the symbol as small as the bare code's, the link is written in capitals when that
changes nothing (scheme and host are case-insensitive, and the county answers ``/V/`` like
``/v/``): the whole text then fits the QR alphanumeric mode.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from assessment.documents.certificate_code import PREFIX, MalformedCode
from assessment.wire.public_url import check_public_url

VERIFY_SEGMENT = "v"
MAX_TEXT = 2_000
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def verification_url(public_url: str, code: str) -> str:
    """The link a certificate's QR holds: ``<public_url>/v/<code>`` (in capitals when the
    base allows it, see the module docstring)."""
    base = check_public_url(public_url)
    scheme, _, rest = base.partition("://")
    host, slash, path = rest.partition("/")
    path = slash + path
    upper = f"{scheme.upper()}://{host.upper()}{path}/{VERIFY_SEGMENT.upper()}/{code}"
    if path == path.upper() and all(ch in _ALNUM for ch in upper):
        return upper
    return f"{base}/{VERIFY_SEGMENT}/{code}"


def code_from_text(text: str) -> str:
    """The signed certificate code in a scanned text: the bare ``YL1.…`` code, or the last
    path segment of a verification link (``…/v/YL1.…``, any case of ``v``). Raises
    :class:`MalformedCode` for anything else. The link's host is not trusted: the code's
    signature decides."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise MalformedCode("length")
    stripped = text.strip()
    if stripped.startswith(f"{PREFIX}."):
        return stripped
    try:
        parts = urlsplit(stripped)
    except ValueError as exc:
        raise MalformedCode("url") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise MalformedCode("shape")
    segments = parts.path.split("/")
    if len(segments) < 3 or segments[-2].lower() != VERIFY_SEGMENT:
        raise MalformedCode("path")
    code = unquote(segments[-1])
    if not code.startswith(f"{PREFIX}."):
        raise MalformedCode("shape")
    return code
