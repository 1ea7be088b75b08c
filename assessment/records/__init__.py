"""The local store: an encrypted SQLite (SQLCipher) database behind one facade.

:mod:`assessment.records.api` is the contract (frozen values, the ``WorkspaceApi``
protocol, the store's exceptions); :class:`assessment.records.workspace.Workspace` implements
it. Everything else here is the implementation: ``schema`` (typed models), ``database``
(SQLCipher engine and pragmas), ``keyring`` (per-account key wrapping), ``migrate`` and
``migrations/`` (Alembic, run at open), ``search`` and ``roster`` (search as you type),
``lifecycle`` (assessment rules), ``profiles`` (elder validation), ``changelog`` and
``auditlog`` (sync outbox and audit chain), ``bulkload`` and ``demo`` (demo township),
``datadir`` (where the files live).

Importing this package imports nothing heavy; import the submodule you need.
"""
