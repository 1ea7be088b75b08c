"""The narrow contract between sync and the local store (the change log, or *outbox*).

The HTTP client (:mod:`assessment.sync.client`) and the bundle codec
(:mod:`assessment.wire.bundle`) only ever talk to an :class:`Outbox`; the workspace's
``outbox`` implements it over its change-log table (:mod:`assessment.records.outbox`), and the
test kit's ``LocalOutbox`` is a small reference implementation (plain SQLite) that the
protocol tests and the ingest benchmarks use to stand in for many laptops.

Rules every implementation keeps:

* Changes are numbered 1, 2, 3 … per device with no holes, each chained to the one before by
  ``prev_hash`` (:func:`assessment.wire.changes.make_change`); a change is written in the same
  transaction as the data it describes.
* ``mark_acked`` never moves backwards and never deletes anything the server has not
  confirmed; acknowledged changes may be pruned later, but ``pending_changes`` must still
  return every change after the acknowledged sequence.
* ``apply_incoming`` applies changes pulled from other devices of the township in one
  transaction together with the new pull cursor: elder profiles merge field by field with
  :func:`assessment.wire.merge.merge_elder` (the same rule the server uses), assessments are
  append-only (the highest version wins). Applying a change a second time is a no-op.
* No method is called from two threads at once; the client calls them from its worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from assessment.wire.changes import Change, WireChange


@dataclass(frozen=True, slots=True)
class SyncState:
    """Where this device stands: its last change, what the county confirmed, and the pull cursor.

    ``acked_seq`` is the highest sequence the county confirmed, every change up to it included;
    ``last_seq`` the newest change written; ``pull_cursor`` the county feed position already
    applied (0 before the first pull).
    """

    device_id: str
    last_seq: int
    acked_seq: int
    pull_cursor: int

    @property
    def pending(self) -> int:
        """How many changes still wait for the county's confirmation."""
        return self.last_seq - self.acked_seq


@dataclass(frozen=True, slots=True)
class ListVersion:
    """A service-list version the county publishes (content fetched separately)."""

    list_id: str
    version: int
    sha256: str
    published_at: str


@dataclass(frozen=True, slots=True)
class PlanVersion:
    """A visit-plan version the county publishes (content fetched separately)."""

    ref: str  # <plan>@<version>
    sha256: str
    published_at: str


@dataclass(frozen=True, slots=True)
class CountyNotices:
    """What a pull brings besides records: list and visit-plan versions, revoked devices
    and accounts."""

    list_versions: tuple[ListVersion, ...] = ()
    revoked_devices: tuple[str, ...] = ()
    revoked_accounts: tuple[str, ...] = ()
    visit_plans: tuple[PlanVersion, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)


class Outbox(Protocol):
    """What sync needs from the local store. See the module docstring for the rules."""

    @property
    def device_id(self) -> str:
        """This laptop's device id (the one enrolled with the county)."""
        ...

    def sync_state(self) -> SyncState:
        """Current sequence numbers and pull cursor."""
        ...

    def pending_changes(self, after_seq: int, limit: int) -> Sequence[Change]:
        """Up to ``limit`` own changes with ``seq > after_seq``, in sequence order."""
        ...

    def mark_acked(self, up_to_seq: int) -> None:
        """Record that the county holds every own change up to ``up_to_seq`` (never backwards)."""
        ...

    def apply_incoming(self, changes: Sequence[Change], cursor: int) -> None:
        """Apply other devices' changes and store ``cursor``, in one transaction."""
        ...

    def note_county(self, notices: CountyNotices) -> None:
        """Remember list versions and revocations the county announced."""
        ...


@dataclass(frozen=True, slots=True)
class PendingSummary:
    """What a bundle's manifest says of the changes it will hold, known before they are read:
    how many, how many of each record type, and the first and last sequence numbers."""

    count: int
    counts: dict[str, int]
    seq_from: int
    seq_to: int


@runtime_checkable
class WireOutbox(Protocol):
    """An outbox that can hand out pending changes as stored JSON text, unparsed, and say
    what they are without reading them (optional: :func:`pending_wire` and
    :func:`pending_summary` work over :meth:`Outbox.pending_changes` for the others)."""

    def pending_wire(self, after_seq: int, limit: int) -> Sequence[WireChange]:
        """Like :meth:`Outbox.pending_changes`, as :class:`WireChange` items."""
        ...

    def pending_summary(self, after_seq: int, limit: int) -> PendingSummary | None:
        """The summary of what :meth:`pending_wire` would give (None when nothing)."""
        ...


def pending_wire(outbox: Outbox, after_seq: int, limit: int) -> list[WireChange]:
    """Up to ``limit`` own changes after ``after_seq`` in wire form, in sequence order."""
    if isinstance(outbox, WireOutbox):
        return list(outbox.pending_wire(after_seq, limit))
    return [WireChange.of(c) for c in outbox.pending_changes(after_seq, limit)]


def summarise(wires: Sequence[WireChange]) -> PendingSummary | None:
    """The summary of changes already read (None when there are none)."""
    if not wires:
        return None
    counts: dict[str, int] = {}
    for wire in wires:
        counts[wire.record_type] = counts.get(wire.record_type, 0) + 1
    return PendingSummary(len(wires), dict(sorted(counts.items())), wires[0].seq,
                          wires[-1].seq)


def pending_summary(outbox: Outbox, after_seq: int, limit: int) -> PendingSummary | None:
    """What the next ``limit`` own changes after ``after_seq`` are (None when none)."""
    if isinstance(outbox, WireOutbox):
        return outbox.pending_summary(after_seq, limit)
    return summarise(pending_wire(outbox, after_seq, limit))
