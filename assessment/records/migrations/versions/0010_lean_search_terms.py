"""Search terms without their index by elder (records.elders.index_elder, records.register).

Every search term was kept twice: in the table's primary key (``term``, ``elder_num``) and
again in ``ix_search_terms_elder_num`` (``elder_num``, ``term``), about 730 bytes per elder,
a fifth of the store. The second copy served two things, both now done without it: rewriting
an elder's terms finds the old ones by primary key from the old name and ID number, and
"does this elder match" (the roster walking a sort index for a broad text) is a lookup in the
typed range's matches, read once per statement.

Rewriting terms from the old name relies on every elder's stored terms being exactly
:func:`~assessment.records.search.elder_terms` of its name and ID number. Upgrade first makes
that so, while the index by elder still exists: elders are read a batch at a time (by number),
their stored terms compared with the current rules', and only the differences deleted or
inserted (a store written by these rules gets no write at all; one written under older rules,
say before the prefix keys, gets its missing keys and loses stale rows). Then it drops the
index (its pages go to the file's free list and are reused as the store grows). Downgrade
builds the index again from the table (one ``CREATE INDEX``: SQLite sorts the terms itself).

Revision ID: 0010_lean_search_terms
Revises: 0009_packed_payloads
Create Date: 2026-12-06 23:30:00.000000
"""

from __future__ import annotations

from collections import defaultdict

from alembic import op

from assessment.records.search import elder_terms

revision = '0010_lean_search_terms'
down_revision = '0009_packed_payloads'
branch_labels = None
depends_on = None


BATCH = 2000  # elders per batch of the reconciliation


def reconcile_terms() -> int:
    """Make every elder's stored terms exactly those of the current rules, a batch of elders
    at a time; return how many term rows were deleted or inserted."""
    connection = op.get_bind()
    last, changed = 0, 0
    while True:
        people = connection.exec_driver_sql(
            "SELECT num, name, id_number FROM elders WHERE num > ? ORDER BY num LIMIT ?",
            (last, BATCH)).all()
        if not people:
            return changed
        first, last = people[0][0], people[-1][0]
        stored: defaultdict[int, set[str]] = defaultdict(set)
        for term, num in connection.exec_driver_sql(
                "SELECT term, elder_num FROM search_terms WHERE elder_num BETWEEN ? AND ?",
                (first, last)):
            stored[num].add(term)
        gone: list[tuple[str, int]] = []
        added: list[tuple[str, int]] = []
        for num, name, id_number in people:
            wanted, held = elder_terms(name, id_number), stored.get(num, set())
            gone.extend((term, num) for term in sorted(held - wanted))
            added.extend((term, num) for term in sorted(wanted - held))
        if gone:
            connection.exec_driver_sql(
                "DELETE FROM search_terms WHERE term = ? AND elder_num = ?", gone)
        if added:
            connection.exec_driver_sql(
                "INSERT INTO search_terms (term, elder_num) VALUES (?, ?)", added)
        changed += len(gone) + len(added)


def upgrade() -> None:
    """Reconcile the terms with the current rules, then drop their second copy."""
    has_index = op.get_bind().exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' "
        "AND name = 'ix_search_terms_elder_num'").first()
    if has_index is not None:
        reconcile_terms()
    op.execute("DROP INDEX IF EXISTS ix_search_terms_elder_num")


def downgrade() -> None:
    """Build the index by elder again."""
    op.execute("CREATE INDEX IF NOT EXISTS ix_search_terms_elder_num "
               "ON search_terms (elder_num)")
