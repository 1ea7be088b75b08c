"""The open database as the workspace and its parts share it: engine, transactions, logging.

A :class:`Store` owns the SQLCipher engine of one signed-in workspace; the engine stays inside
the records package (other packages read through the workspace's methods, never its tables).
Every write runs in :meth:`Store.writing` (one ``BEGIN IMMEDIATE`` transaction) and records
what it changed through :meth:`Store.log` (the change log, the audit log and the change
summary together) or :meth:`Store.touched`; once the transaction committed, the summary
(:class:`~assessment.records.api.Changed`) goes to every subscriber, so a face shows the
change once, wherever it came from (this window, a sync in the background, an import).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from assessment.records import changelog
from assessment.records.api import Assessor, Changed, Listener, StoreError
from assessment.records.auditlog import append_audit
from assessment.records.database import checkpoint, writer
from assessment.records.schema import DeviceState
from assessment.wire.hlc import HybridClock


class Store:
    """Transactions, logging and change notices over one open engine."""

    def __init__(self, engine: Engine, user: Assessor) -> None:
        self.engine = engine
        self.user = user
        self.clock = HybridClock()
        self._writer = writer(engine)
        self._closed = False
        self._listeners: list[Listener] = []
        self._pending = threading.local()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Fold the WAL into the database and release every connection."""
        if self._closed:
            return
        self._closed = True
        try:
            checkpoint(self.engine)
        finally:
            self.engine.dispose()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("数据库已关闭")

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read transaction."""
        self._check_open()
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain connection for bulk reads into frames (read-only by convention)."""
        self._check_open()
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[tuple[Session, DeviceState]]:
        """One write transaction with the device state row; subscribers hear what changed
        once the outermost write committed."""
        self._check_open()
        outer = getattr(self._pending, "records", None) is None
        if outer:
            self._pending.records = {}
        try:
            with Session(self._writer, expire_on_commit=False) as session, session.begin():
                yield session, changelog.device_state(session)
        except BaseException:
            if outer:
                self._pending.records = None
            raise
        if outer:
            records: dict[str, set[str]] = self._pending.records
            self._pending.records = None
            if records:
                self._publish(Changed({k: frozenset(v) for k, v in records.items()}))

    def touched(self, record_type: str, record_id: str) -> None:
        """Note a changed record for the change summary of the current write."""
        records: dict[str, set[str]] | None = getattr(self._pending, "records", None)
        if records is not None:
            records.setdefault(record_type, set()).add(record_id)

    def log(self, session: Session, state: DeviceState, record_type: str, record_id: str,
            version: int, payload: Mapping[str, Any], action: str,
            detail: Mapping[str, Any] | None = None) -> None:
        """Append a record's new version to the change log and an audit entry, in the
        current write, and note it for the change summary."""
        changelog.append_change(session, state, self.clock, record_type=record_type,
                                record_id=record_id, version=version, payload=payload)
        self.audit(session, state, action, record_type, record_id, detail)
        self.touched(record_type, record_id)

    def audit(self, session: Session, state: DeviceState, action: str, record_type: str,
              record_id: str, detail: Mapping[str, Any] | None = None) -> None:
        """Append an audit entry by the signed-in account (a read, or a write whose record
        the caller notes with :meth:`touched` itself)."""
        append_audit(session, state, self.clock, username=self.user.username, action=action,
                     record_type=record_type, record_id=record_id, detail=detail)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Hear every committed change; returns the function that stops it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _publish(self, changed: Changed) -> None:
        for listener in list(self._listeners):
            listener(changed)
