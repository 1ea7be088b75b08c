"""Installing service-list versions into a workspace: only signed ones (issue: signed lists).

What may be installed, and how it is sealed (:mod:`assessment.eligibility.listseal`):

* a county-signed list file (the county's feed, or a signed file on a USB stick) when its
  signature verifies with the key of this laptop's enrolment;
* on a laptop enrolled with no county (a pilot), a plain list file installed by a supervisor,
  sealed with the supervisor's own key and marked 本机安装（未经县级签发）.

An enrolled laptop refuses plain files; an assessor installs nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.eligibility.listfiles import ServiceList
from assessment.eligibility.listseal import (
    COUNTY,
    ListSeal,
    ListTrust,
    local_seal,
    read_signed_list,
    seal_for,
    signature_valid,
)
from assessment.eligibility.registry import install_list_bytes, workspace_lists_dir
from assessment.errors import FormFileError, InputRejected, Problem
from assessment.records import countynotes


def workspace_trust(get_setting: Callable[[str], Any]) -> ListTrust:
    """The county key this workspace accepts list seals from (None when not enrolled)."""
    public = get_setting(countynotes.COUNTY_SIGN_PUBLIC)
    enrolled = get_setting(countynotes.ENROLLED) is True
    return ListTrust(public if enrolled and isinstance(public, str) else None)


def _county_sealer(county_public: str, signature: str, source: str) -> Callable[[bytes], ListSeal]:
    def sealer(raw: bytes) -> ListSeal:
        if not signature_valid(county_public, signature, raw):
            raise FormFileError(source, "signature", "清单的县级签名无效（不是本机登记的县级"
                                "服务器签发，或文件被改动过），未安装")
        return seal_for(COUNTY, raw, "county", county_public, signature)

    return sealer


def install_list(data_dir: Path, data: bytes, source: str, *, trust: ListTrust,
                 username: str, signing_seed: bytes | None) -> ServiceList:
    """Install a list file given by a supervisor (the caller checked the role)."""
    signed = read_signed_list(data)
    folder = workspace_lists_dir(data_dir)
    if signed is not None:
        raw, signature = signed
        if trust.county_public is None:
            raise FormFileError(source, "signature", "本机尚未登记到县级服务器，无法核对县级签名")
        return install_list_bytes(raw, source, folder, trust=trust,
                                  sealer=_county_sealer(trust.county_public, signature, source))
    if trust.county_public is not None:
        raise FormFileError(source, "signature", "本机已登记到县级服务器，只能安装县级签发的清单"
                            "（同步时自动下载，或县级导出的签名清单文件）")
    if signing_seed is None:
        raise InputRejected([Problem("password", "signing_key",
                                     "安装本机清单需要管理员用密码登录后操作")])
    key = Ed25519PrivateKey.from_private_bytes(signing_seed)
    return install_list_bytes(data, source, folder, trust=trust,
                              sealer=lambda raw: local_seal(key, username, raw))


def install_county_content(data_dir: Path, announced: countynotes.CountyListState,
                           content: str, signature: str, trust: ListTrust) -> tuple[str, str]:
    """Check fetched list content against its announcement and the county's signature, and
    install it. Returns (status, detail) as :func:`countynotes.mark_list` records them."""
    raw = content.encode("utf-8")
    if hashlib.sha256(raw).hexdigest() != announced.sha256:
        return countynotes.REJECTED, "清单内容与县级公布的哈希不符"
    if trust.county_public is None:
        return countynotes.REJECTED, "本机尚未登记到县级服务器，无法核对县级签名"
    source = f"county:{announced.list_id}/{announced.version}"
    try:
        installed = install_list_bytes(
            raw, source, workspace_lists_dir(data_dir), trust=trust,
            sealer=_county_sealer(trust.county_public, signature, source))
    except FormFileError as exc:
        return countynotes.REJECTED, f"清单文件无效：{exc}"
    return countynotes.INSTALLED, installed.ref
