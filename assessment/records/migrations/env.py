"""Alembic environment of the local store: always run programmatically on an open connection.

:func:`assessment.records.migrate.upgrade_to_head` passes the connection (inside a
``BEGIN IMMEDIATE`` transaction) as ``config.attributes["connection"]``; there is no ini file
and no URL, because only the signed-in workspace knows the key.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from assessment.records.schema import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("the store's migrations run only through assessment.records.migrate")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things: later revisions copy tables
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
