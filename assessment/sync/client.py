"""The laptop's HTTP sync client: push the outbox in batches, pull the township's feed.

Every request is signed with the device key (:mod:`assessment.wire.requestsig`). A push first
asks the county what it holds of this device's chain, so acknowledgements a laptop lost (a
crash between the county's commit and its answer, a restored backup) cost one request instead
of sending everything again; then it sends the changes after the acknowledged sequence in
batches; after each batch the outbox records
what the county acknowledged, so a push interrupted anywhere (lost connection, closed lid,
county restart) resumes from the last acknowledged batch, and re-sending a batch the county
already holds is a no-op there. A batch travels as change lines
(:data:`~assessment.wire.changes.CHANGE_LINES`): the outbox's stored JSON as it is, each line
led by its sequence and hash, so the county answers a repeated batch from one lookup without
parsing it. Long work reports progress through a callback and stops
between batches when the cancel flag is set (docs/architecture.md §3.5). Failures become
:class:`SyncError` with a Chinese message.
"""

from __future__ import annotations

import functools
import json
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import httpx

from assessment.errors import InputRejected
from assessment.wire.changes import CHANGE_LINES, Change, change_from_json, change_lines
from assessment.wire.device import DeviceKeys
from assessment.wire.outbox import (
    CountyNotices,
    ListVersion,
    Outbox,
    PlanVersion,
    SyncState,
    pending_wire,
)
from assessment.wire.requestsig import sign_request

Progress = Callable[[str, int, int], None]
"""Progress callback: (phase ``"push"``/``"pull"``, done, total or 0 when unknown)."""

DEFAULT_BATCH = 500
_RETRYABLE_STATUS = frozenset({502, 503, 504})


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process (building one costs ~0.1 s)."""
    return ssl.create_default_context()


class CancelFlag(Protocol):
    """Anything with ``is_set()``, such as :class:`threading.Event`."""

    def is_set(self) -> bool:
        """True when the work should stop at the next safe point."""
        ...


class SyncError(Exception):
    """Sync could not complete; ``message`` is for people, ``retryable`` says whether to retry."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None,
                 code: str | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status
        self.code = code

    @property
    def revoked(self) -> bool:
        """The county refused because this device or its account was revoked."""
        return self.code == "revoked"


@dataclass(frozen=True, slots=True)
class PushReport:
    """What one push achieved."""

    sent: int
    acked_seq: int
    applied: int
    duplicates: int
    quarantined: int
    batches: int
    cancelled: bool = False
    already_held: int = 0
    """Changes the county confirmed it held before any was sent (acknowledgements this laptop
    had lost, to a crash or a restore): marked acknowledged without sending them again."""


@dataclass(frozen=True, slots=True)
class PullReport:
    """What one pull brought."""

    received: int
    cursor: int
    notices: CountyNotices
    cancelled: bool = False


def _refusal(response: httpx.Response) -> tuple[str, str | None]:
    """The county's Chinese reason for a refused request and its machine-readable code."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    detail = answer.get("detail") if isinstance(answer, dict) else None
    code = answer.get("code") if isinstance(answer, dict) else None
    message = detail if isinstance(detail, str) else \
        f"县级服务器拒绝了请求（HTTP {response.status_code}）"
    return message, code if isinstance(code, str) else None


class SyncClient:
    """Talks to one county server on behalf of one device and its outbox."""

    def __init__(self, base_url: str, keys: DeviceKeys, outbox: Outbox, *,
                 batch_size: int = DEFAULT_BATCH, timeout: float = 60.0, retries: int = 3,
                 backoff: float = 0.5, transport: httpx.BaseTransport | None = None) -> None:
        if outbox.device_id != keys.device_id:
            raise ValueError("设备密钥与变更日志不属于同一台设备")
        self._keys = keys
        self._outbox = outbox
        self.batch_size = batch_size
        self._retries = retries
        self._backoff = backoff
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                  transport=transport, verify=tls_context())

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Mapping[str, str | int] | None = None,
                payload: object = None, content: bytes | None = None,
                content_type: str = "application/json") -> dict[str, Any]:
        """One signed request with retries on transient failures; the JSON answer.

        The body is ``payload`` as JSON, or ``content`` as given (of ``content_type``)."""
        path_qs = path + ("?" + urlencode(params) if params else "")
        if content is not None:
            body = content
        else:
            body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        attempt = 0
        while True:
            headers = sign_request(self._keys.device_id, self._keys.sign_key, method, path_qs,
                                   body)
            headers["Content-Type"] = content_type
            try:
                response = self._http.request(method, path_qs, content=body, headers=headers)
            except httpx.TimeoutException as exc:
                error = SyncError("连接县级服务器超时", retryable=True)
                cause: Exception = exc
            except httpx.TransportError as exc:
                error = SyncError("无法连接县级服务器（网络中断或服务器未运行）", retryable=True)
                cause = exc
            else:
                if response.status_code < 400:
                    result: dict[str, Any] = response.json()
                    return result
                message, code = _refusal(response)
                error = SyncError(message, retryable=response.status_code in _RETRYABLE_STATUS,
                                  status=response.status_code, code=code)
                cause = error
            attempt += 1
            if not error.retryable or attempt > self._retries:
                raise error from cause
            time.sleep(self._backoff * attempt)

    # -- push --------------------------------------------------------------------------------

    def push(self, progress: Progress | None = None,
             cancel: CancelFlag | None = None) -> PushReport:
        """Send every unacknowledged change; resume-safe and idempotent.

        It first asks the county what it holds of this device's chain (one small request,
        which also learns at once of a revocation): changes the county already confirmed, with
        the very hash this laptop holds at that sequence, are marked acknowledged without being
        sent again."""
        state = self._outbox.sync_state()
        held = self._county_holds(state)
        already = held - state.acked_seq
        if already:
            self._outbox.mark_acked(held)
            state = self._outbox.sync_state()
        total = state.pending
        after = state.acked_seq
        acked = state.acked_seq
        sent = applied = duplicates = quarantined = batches = stalls = 0
        if progress:
            progress("push", 0, total)
        while True:
            if cancel is not None and cancel.is_set():
                return PushReport(sent, acked, applied, duplicates, quarantined, batches, True)
            # The stored JSON goes out as it is, one line per change (no parse, no re-encode).
            batch = pending_wire(self._outbox, after, self.batch_size)
            if not batch:
                break
            answer = self.request("POST", "/sync/push", content=change_lines(batch),
                                  content_type=CHANGE_LINES)
            batches += 1
            sent += len(batch)
            applied += int(answer.get("applied", 0))
            duplicates += int(answer.get("duplicates", 0))
            quarantined += int(answer.get("quarantined", 0))
            acked = int(answer["acked_seq"])
            self._outbox.mark_acked(acked)
            if acked >= batch[-1].seq:
                after = batch[-1].seq
                stalls = 0
            else:
                # The county lacks something before the end of this batch: send from its
                # acknowledged point if this laptop still has those changes.
                stalls += 1
                if stalls > 2:
                    raise SyncError(f"县级服务器缺少本机序号 {acked + 1} 起的变更，"
                                    "请导出数据包或联系县级管理员")
                after = acked
            if progress:
                progress("push", min(max(acked - state.acked_seq, 0), total), total)
        return PushReport(sent, acked, applied, duplicates, quarantined, batches,
                          already_held=already)

    def _county_holds(self, state: SyncState) -> int:
        """The county's acknowledged sequence where it is ahead of this laptop's record and
        agrees with this laptop's chain there (same hash at that sequence); otherwise this
        laptop's own acknowledged sequence (a county ahead of everything this laptop holds, or
        holding another chain, is left to the push and the county's fork report)."""
        county = self.server_state()
        seq, digest = county.get("acked_seq"), county.get("acked_hash")
        if type(seq) is not int or not isinstance(digest, str) or \
                not state.acked_seq < seq <= state.last_seq:
            return state.acked_seq
        mine = pending_wire(self._outbox, seq - 1, 1)
        return seq if mine and mine[0].seq == seq and mine[0].hash == digest \
            else state.acked_seq

    # -- pull --------------------------------------------------------------------------------

    def pull(self, progress: Progress | None = None, cancel: CancelFlag | None = None,
             limit: int = DEFAULT_BATCH) -> PullReport:
        """Apply the township's changes from other devices, from the stored cursor on."""
        cursor = self._outbox.sync_state().pull_cursor
        received = 0
        notices = CountyNotices()
        while True:
            if cancel is not None and cancel.is_set():
                return PullReport(received, cursor, notices, True)
            answer = self.request("GET", "/sync/pull", params={"after": cursor, "limit": limit})
            try:
                changes = [change_from_json(item, "pull") for item in answer["changes"]]
            except InputRejected as exc:
                raise SyncError(f"县级服务器发来的变更无效：{exc}") from exc
            new_cursor = int(answer["cursor"])
            self._outbox.apply_incoming(changes, new_cursor)
            received += len(changes)
            cursor = new_cursor
            if progress:
                progress("pull", received, 0)
            if not answer.get("more"):
                notices = _notices(answer)
                self._outbox.note_county(notices)
                return PullReport(received, cursor, notices)

    def fetch_list(self, list_id: str, version: int) -> tuple[str, str]:
        """The content of a service-list version the county published (signed request) and
        the county's signature over it (checked when it is installed)."""
        answer = self.request("GET", f"/sync/lists/{list_id}/{version}")
        content = answer.get("content")
        signature = answer.get("signature")
        if not isinstance(content, str) or not isinstance(signature, str):
            raise SyncError("县级服务器发来的清单内容无效（缺少内容或县级签名）")
        return content, signature

    def fetch_visit_plan(self, ref: str) -> tuple[str, str]:
        """The content of a visit-plan version the county published and the county's
        signature over it (both checked when it is installed)."""
        answer = self.request("GET", f"/sync/visit-plans/{quote(ref, safe='@')}")
        content = answer.get("content")
        signature = answer.get("signature")
        if not isinstance(content, str) or not isinstance(signature, str):
            raise SyncError("县级服务器发来的探访计划无效（缺少内容或县级签名）")
        return content, signature

    def server_state(self) -> dict[str, Any]:
        """The county's view of this device (acknowledged sequence, revoked …)."""
        return self.request("GET", "/sync/state")


def _notices(answer: Mapping[str, Any]) -> CountyNotices:
    versions = tuple(
        ListVersion(str(v["list_id"]), int(v["version"]), str(v["sha256"]),
                    str(v["published_at"]))
        for v in answer.get("list_versions", [])
    )
    raw_plans = answer.get("visit_plans")
    # Announcements only: an entry that is not one is skipped (the content is checked
    # against hash and county signature when installed anyway).
    plans = tuple(PlanVersion(v["ref"], v["sha256"], str(v.get("published_at", "")))
                  for v in (raw_plans if isinstance(raw_plans, list) else [])
                  if isinstance(v, dict) and isinstance(v.get("ref"), str)
                  and isinstance(v.get("sha256"), str))
    return CountyNotices(versions, tuple(answer.get("revoked_devices", [])),
                         tuple(answer.get("revoked_accounts", [])), plans)


def changes_of(answer: Mapping[str, Any]) -> list[Change]:
    """Parse the changes of a pull answer (verifying every hash)."""
    return [change_from_json(item, "pull") for item in answer.get("changes", [])]
