"""The laptop's sync client, above the local store: HTTP push and pull, enrolment, lists.

The format it speaks is :mod:`assessment.wire` (changes, clock, merge, outbox contract,
bundles); the store it syncs is the :class:`~assessment.records.workspace.Workspace`, which
implements the :class:`~assessment.wire.outbox.Outbox` contract itself. A *change* is the unit
of sync (docs/architecture.md §4): one new version of one record, numbered by a per-device
sequence and chained by hash so that the county sees any gap at once.
"""
