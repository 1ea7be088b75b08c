"""The local store: an encrypted SQLite (SQLCipher) database behind one workspace.

:class:`assessment.records.workspace.Workspace` is an open store; what it does is done by its
managers, one module each: ``elders``, ``assessments``, ``accounts``, ``settings``,
``outbox`` (sync), ``audit``, ``listinstall`` (service lists, ``workspace.lists``),
``visits`` and ``registry_store`` (``workspace.registry``), all over the shared ``context``
and ``store`` (the private engine, transactions, logging, change notices).
:mod:`assessment.records.api` holds the values they take and give (frozen dataclasses, the
store's exceptions). Everything else here is the implementation: ``schema`` (typed models),
``database`` (SQLCipher engine and pragmas), ``keyring`` (per-account key wrapping), ``migrate`` and
``migrations/`` (Alembic, run at open), ``search`` and ``roster`` (search as you type),
``lifecycle`` (assessment rules), ``profiles`` (elder validation), ``changelog`` and
``auditlog`` (sync outbox and audit chain), ``bulkload`` and ``demo`` (demo township),
``datadir`` (where the files live).

Importing this package imports nothing heavy; import the submodule you need.
"""
