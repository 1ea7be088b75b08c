"""Sync bookkeeping of the laptop: pull cursor, applied incoming changes, record heads,
elder field states, local conflicts, other laptops' audit entries, announced county lists.

Revision ID: 0002_sync_state
Revises: 0001_first_schema
Create Date: 2026-11-30 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_sync_state'
down_revision = '0001_first_schema'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('county_lists',
    sa.Column('list_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('list_id', 'version')
    )
    op.create_table('remote_audit',
    sa.Column('entry_id', sa.String(length=64), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('record_type', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('entry_id')
    )
    op.create_index(op.f('ix_remote_audit_device_id'), 'remote_audit', ['device_id'], unique=False)
    op.create_index(op.f('ix_remote_audit_record_id'), 'remote_audit', ['record_id'], unique=False)
    op.create_table('sync_conflicts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('record_type', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('field', sa.String(length=128), nullable=False),
    sa.Column('winner_value', sa.Text(), nullable=False),
    sa.Column('winner_device', sa.String(length=64), nullable=False),
    sa.Column('winner_hlc', sa.Integer(), nullable=False),
    sa.Column('loser_value', sa.Text(), nullable=False),
    sa.Column('loser_device', sa.String(length=64), nullable=False),
    sa.Column('loser_hlc', sa.Integer(), nullable=False),
    sa.Column('review_required', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_sync_conflicts_record_id'), 'sync_conflicts', ['record_id'],
                    unique=False)
    op.create_table('sync_elder_fields',
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('field', sa.String(length=128), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('hlc', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('record_id', 'field')
    )
    op.create_table('sync_elder_folds',
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('own_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('record_id')
    )
    op.create_table('sync_heads',
    sa.Column('record_type', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('hlc', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('elder_id', sa.String(length=64), nullable=True),
    sa.Column('waiting', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('record_type', 'record_id')
    )
    op.create_index(op.f('ix_sync_heads_elder_id'), 'sync_heads', ['elder_id'], unique=False)
    op.create_index(op.f('ix_sync_heads_waiting'), 'sync_heads', ['waiting'], unique=False)
    op.create_table('sync_incoming',
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('record_type', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'seq')
    )
    op.create_table('sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pull_cursor', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('sync_state')
    op.drop_table('sync_incoming')
    op.drop_index(op.f('ix_sync_heads_waiting'), table_name='sync_heads')
    op.drop_index(op.f('ix_sync_heads_elder_id'), table_name='sync_heads')
    op.drop_table('sync_heads')
    op.drop_table('sync_elder_folds')
    op.drop_table('sync_elder_fields')
    op.drop_index(op.f('ix_sync_conflicts_record_id'), table_name='sync_conflicts')
    op.drop_table('sync_conflicts')
    op.drop_index(op.f('ix_remote_audit_record_id'), table_name='remote_audit')
    op.drop_index(op.f('ix_remote_audit_device_id'), table_name='remote_audit')
    op.drop_table('remote_audit')
    op.drop_table('county_lists')
