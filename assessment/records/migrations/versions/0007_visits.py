"""探访关爱: visit records (append-only) and the referrals made on them.

Revision ID: 0007_visits
Revises: 0006_elder_registry
Create Date: 2026-12-06 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_visits'
down_revision = '0006_elder_registry'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        'visits',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('elder_id', sa.String(length=36), nullable=False),
        sa.Column('visit_date', sa.Date(), nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('visitor', sa.String(length=64), nullable=False),
        sa.Column('risk', sa.String(length=16), nullable=False),
        sa.Column('emergency', sa.Boolean(), nullable=False),
        sa.Column('change_found', sa.Boolean(), nullable=False),
        sa.Column('entry', sa.JSON(), nullable=False),
        sa.Column('plan_ref', sa.String(length=80), nullable=False),
        sa.Column('tier', sa.String(length=32), nullable=False),
        sa.Column('device_id', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_visits_elder_date', 'visits', ['elder_id', 'visit_date'])
    op.create_index('ix_visits_date', 'visits', ['visit_date'])
    op.create_table(
        'referrals',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('visit_id', sa.String(length=36), nullable=False),
        sa.Column('elder_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('target', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('opened_on', sa.Date(), nullable=False),
        sa.Column('closed_on', sa.Date(), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_referrals_visit_id'), 'referrals', ['visit_id'])
    op.create_index(op.f('ix_referrals_elder_id'), 'referrals', ['elder_id'])
    op.create_index(op.f('ix_referrals_status'), 'referrals', ['status'])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('referrals')
    op.drop_table('visits')
