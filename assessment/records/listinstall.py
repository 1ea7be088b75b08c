"""Installing service-list versions into a workspace: only signed ones (issue: signed lists).

What may be installed, and how it is sealed (:mod:`assessment.eligibility.listseal`):

* a county-signed list file (the county's feed, or a signed file on a USB stick) when its
  signature verifies with the key of this laptop's enrolment;
* on a laptop enrolled with no county (a pilot), a plain list file installed by a supervisor,
  sealed with the supervisor's own key and marked 本机安装（未经县级签发）.

An enrolled laptop refuses plain files; an assessor installs nothing. A workspace reaches
this through its manager :class:`ServiceLists` (``workspace.lists``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.eligibility.listfiles import LIST_FILE_LIMITS, ServiceList
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
from assessment.inputreader import read_bytes
from assessment.records import countynotes
from assessment.records.context import Context
from assessment.records.settings import Settings


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


class ServiceLists:
    """The service-list versions of one open workspace (``workspace.lists``)."""

    def __init__(self, ctx: Context, settings: Settings) -> None:
        self._ctx = ctx
        self._settings = settings

    def trust(self) -> ListTrust:
        """Whose list seals this workspace accepts (its county's key, when enrolled)."""
        return workspace_trust(self._settings.get)

    def install(self, path: Path) -> ServiceList:
        """Install a service-list file (supervisors only): county-signed, or on a laptop
        with no county a local list sealed with the supervisor's own key (audited)."""
        ctx = self._ctx
        if not ctx.is_supervisor:
            raise InputRejected([Problem("role", "forbidden", "只有管理员可以安装服务清单")])
        data = read_bytes(path, LIST_FILE_LIMITS.max_bytes)
        version = install_list(ctx.data_dir, data, str(path), trust=self.trust(),
                               username=ctx.username, signing_seed=ctx.signing_seed)
        with ctx.store.writing() as (session, state):
            ctx.store.audit(session, state, "install_list", "service_list", version.ref,
                            {"origin": version.origin, "sha256": version.digest})
            ctx.store.touched("service_list", version.ref)
        return version

    def announced(self, status: str | None = None) -> list[countynotes.CountyListState]:
        """Service-list versions the county announced, and whether they are installed."""
        with self._ctx.store.reading() as session:
            return countynotes.read_lists(session, status)

    def install_announced(self, announced: countynotes.CountyListState, content: str,
                          signature: str = "") -> str:
        """Install fetched content of an announced list version into this data folder
        (checked against the announced hash and the county's signature); return the new
        status."""
        status, detail = install_county_content(self._ctx.data_dir, announced, content,
                                                signature, self.trust())
        with self._ctx.store.writing() as (session, _state):
            countynotes.mark_list(session, announced.list_id, announced.version, status,
                                  detail)
        return status
