"""Search terms without their index by elder (records.elders.index_elder, records.register).

Every search term was kept twice: in the table's primary key (``term``, ``elder_num``) and
again in ``ix_search_terms_elder_num`` (``elder_num``, ``term``), about 730 bytes per elder,
a fifth of the store. The second copy served two things, both now done without it: rewriting
an elder's terms finds the old ones by primary key from the old name and ID number, and
"does this elder match" (the roster walking a sort index for a broad text) is a lookup in the
typed range's matches, read once per statement.

Upgrade drops the index (one statement; its pages go to the file's free list and are reused as
the store grows). Downgrade builds it again from the table (one ``CREATE INDEX``: SQLite
sorts the terms itself, it reads no rows into Python).

Revision ID: 0010_lean_search_terms
Revises: 0009_packed_payloads
Create Date: 2026-12-06 23:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = '0010_lean_search_terms'
down_revision = '0009_packed_payloads'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the second copy of the terms."""
    op.execute("DROP INDEX IF EXISTS ix_search_terms_elder_num")


def downgrade() -> None:
    """Build the index by elder again."""
    op.execute("CREATE INDEX IF NOT EXISTS ix_search_terms_elder_num "
               "ON search_terms (elder_num)")
