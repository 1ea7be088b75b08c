"""Schema migrations, run programmatically every time a workspace opens.

The first schema is itself a revision, so a new database and an old one take the same path:
``upgrade head`` inside one write transaction (a failed migration leaves the file as it was).
Alembic is imported only when a migration has to run: an up-to-date database is recognised
by its ``alembic_version`` row alone, which keeps sign-in and worker start-up quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from assessment.records.database import writer

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest revision in ``migrations/versions`` (a test checks they agree).
HEAD_REVISION = "0010_lean_search_terms"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the packaged scripts, bound to ``connection`` when given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision of the packaged scripts, as Alembic sees it."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (``None`` for an empty file)."""
    try:
        row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    except OperationalError:
        return None
    return None if row is None else str(row[0])


def upgrade_to_head(engine: Engine) -> None:
    """Bring the database to the newest schema (no-op when it is there already)."""
    with engine.connect() as conn:
        if current_revision(conn) == HEAD_REVISION:
            return
    from alembic import command

    with writer(engine).begin() as conn:
        command.upgrade(alembic_config(conn), "head")
