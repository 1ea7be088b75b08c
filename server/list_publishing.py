"""Publishing a service-list version, checked first the way a laptop checks it.

:func:`server.county.publish_list` stores a text under a publication id and number. Every way
in — the pages (:func:`publish_file`), the admin API and ``yinling county list``
(:func:`publish_checked`) — first checks the file as a laptop would before installing it (YAML,
the list schema and vocabulary, and no second content for a ``<list>@<version>`` already
held), so the operator learns at once why it would be rejected and nothing is published.
Laptops still check every version they pull, and the county's statistics leave out any
version that does not validate (:mod:`server.county_lists`). A file uploaded on the pages is
published under the list id the file names, as the next publication number of that list.

The county signs a version's content once, at its first download (:func:`signed_version`), and
keeps the signature in the database beside the content, so that every server process serves
the same one and a flood of downloads costs no signing; a version is never changed after
publication, and a signature made with an older county key is made again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, func, select, update

from assessment.eligibility.listfiles import ServiceList, parse_list
from assessment.eligibility.listseal import sign_list
from assessment.errors import FormFileError, InputRejected, Problem
from assessment.inputreader import DEFAULT_LIMITS, parse_yaml
from assessment.wire.crypto import key_id, public_bytes
from server import county
from server.county_lists import county_lists
from server.db.tables import list_versions
from server.timeutil import iso

MAX_LIST_BYTES = 1024 * 1024  # the shipped lists are a few KB each
SOURCE = "上传的清单文件"  # the "file" a refusal names


@dataclass(frozen=True, slots=True)
class Published:
    """A list version just published: its publication key and what the file says."""

    list_id: str
    version: int
    ref: str
    title: str
    sha256: str


def _refuse(message: str) -> InputRejected:
    return InputRejected([Problem("file", "invalid", message)])


def published_versions(conn: Connection) -> list[dict[str, Any]]:
    """Every published list version, the newest first."""
    v = list_versions.c
    return [{"list_id": r.list_id, "version": int(r.version), "sha256": r.sha256,
             "published_at": iso(r.published_at)}
            for r in conn.execute(select(v.list_id, v.version, v.sha256, v.published_at)
                                  .order_by(v.published_at.desc(), v.id.desc()))]


LIST_LIMITS = DEFAULT_LIMITS.with_max_bytes(4 * 1024 * 1024)
"""A service-list file: read with the input limits (size, depth, integer digits, text)."""


def check_list_file(conn: Connection, data: bytes, field: str = "file"
                    ) -> tuple[str, ServiceList]:
    """The file's text and the list it holds, or :class:`InputRejected` saying why a laptop
    would reject it (or why publishing it again is pointless); ``field`` names the file in
    the refusal (``file`` uploaded on a page, ``content`` of the admin API)."""
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse("清单文件应为 UTF-8 编码的 YAML 文本") from exc
    raw = parse_yaml(content, LIST_LIMITS, field)
    held = county_lists(conn)
    try:
        parsed = parse_list(raw, held.vocabulary, SOURCE, hashlib.sha256(data).hexdigest())
    except FormFileError as exc:
        where = f"{exc.key}：" if exc.key else ""
        raise _refuse(f"清单文件无效：{where}{exc.reason}") from exc
    except (AttributeError, TypeError, ValueError, RecursionError) as exc:
        # A shape the schema checks do not expect (a list where a mapping belongs, …).
        raise _refuse("清单文件的结构无效，不是可用的服务清单") from exc
    for version in held.versions:
        if version.ref != parsed.ref:
            continue
        if version.digest == parsed.digest:
            raise _refuse(f"清单 {parsed.ref} 已有完全相同的内容，无需再次发布")
        raise _refuse(f"清单 {parsed.ref} 已有内容不同的同一版本，"
                      "请在文件中改用新的版本号（version）后再上传")
    return content, parsed


def next_version(conn: Connection, list_id: str) -> int:
    """The next publication number of a list (1 for its first)."""
    last = conn.execute(select(func.max(list_versions.c.version))
                        .where(list_versions.c.list_id == list_id)).scalar()
    return int(last or 0) + 1


def publish_checked(conn: Connection, list_id: str, version: int, content: str,
                    actor: str) -> str:
    """Check a list file given as text and publish it under ``list_id``/``version`` (the admin
    API and the CLI); its SHA-256."""
    check_list_file(conn, content.encode("utf-8"), "content")
    return county.publish_list(conn, list_id, version, content, actor)


def publish_file(conn: Connection, data: bytes, actor: str) -> Published:
    """Check an uploaded list file and publish it (audited by :func:`county.publish_list`)."""
    content, parsed = check_list_file(conn, data)
    number = next_version(conn, parsed.list_id)
    digest = county.publish_list(conn, parsed.list_id, number, content, actor)
    return Published(parsed.list_id, number, parsed.ref, parsed.title, digest)


def signed_version(conn: Connection, sign_key: Ed25519PrivateKey, list_id: str,
                   version: int) -> dict[str, Any] | None:
    """A published version with the county's signature over its content (None when there is
    no such version). The signature is made once and kept (``list_versions.signature``)."""
    v = list_versions.c
    row = conn.execute(select(v.id, v.list_id, v.version, v.sha256, v.content, v.signature,
                              v.signed_key)
                       .where(v.list_id == list_id, v.version == version)).first()
    if row is None:
        return None
    key = key_id(public_bytes(sign_key.public_key()))
    signature = row.signature
    if not signature or row.signed_key != key:
        signature = sign_list(sign_key, row.content.encode("utf-8"))
        conn.execute(update(list_versions).where(v.id == row.id)
                     .values(signature=signature, signed_key=key))
    return {"list_id": row.list_id, "version": int(row.version), "sha256": row.sha256,
            "content": row.content, "signature": signature}
