"""observed journeys: activity events, their daily rollups, and the touchpoints' activity mapping

Revision ID: 9e4f2a61c8d3
Revises: d959e1baa3e3
Create Date: 2026-12-07 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import cxshared.db

revision: str = '9e4f2a61c8d3'
down_revision: str | None = 'd959e1baa3e3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    moment = cxshared.db.UTCDateTime(timezone=True)
    op.create_table('activity_event',
    sa.Column('event_id', text(length=64), nullable=False),
    sa.Column('customer_id', text(length=200), nullable=False),
    sa.Column('activity', text(length=100), nullable=False),
    sa.Column('occurred_at', moment, nullable=False),
    sa.Column('channel', text(length=20), nullable=False),
    sa.Column('attributes', json, nullable=False),
    sa.Column('digest', text(length=32), nullable=False),
    sa.Column('recorded_at', moment, nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_activity_event'))
    )
    op.create_index(
        'ix_activity_event_customer_at', 'activity_event', ['customer_id', 'occurred_at']
    )
    op.create_table('observed_rollup',
    sa.Column('journey_id', text(length=64), nullable=False),
    sa.Column('kind', text(length=20), nullable=False),
    sa.Column('grain', text(length=1), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('key', text(length=32), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('millis', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint(
        'journey_id', 'kind', 'grain', 'day', 'key', name=op.f('pk_observed_rollup')
    )
    )
    op.create_table('observed_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stale_since', moment, nullable=True),
    sa.Column('rebuilt_at', moment, nullable=True),
    sa.Column('case_gap_days', sa.Integer(), nullable=True),
    sa.Column('loop_window_days', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observed_state'))
    )
    with op.batch_alter_table('touchpoint_dim', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('activities', json, nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table('touchpoint_dim', schema=None) as batch_op:
        batch_op.drop_column('activities')
    op.drop_table('observed_state')
    op.drop_table('observed_rollup')
    op.drop_index('ix_activity_event_customer_at', table_name='activity_event')
    op.drop_table('activity_event')
