"""rate_limit_buckets: request counts per key and minute, shared by every worker

Revision ID: b87a651c7645
Revises: 2d297792d875
Create Date: 2026-11-24 23:14:33.250522
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cxshared.db
from alembic import op


revision: str = 'b87a651c7645'
down_revision: str | None = '2d297792d875'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rate_limit_bucket',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('window_start', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_start', name=op.f('pk_rate_limit_bucket'))
    )


def downgrade() -> None:
    op.drop_table('rate_limit_bucket')
