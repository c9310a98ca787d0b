"""action effects: journey's actions from their events, and the stored effect of each shipped one

Revision ID: ac55173416db
Revises: 5b8e1f2c7a90
Create Date: 2026-12-07 18:20:38.724301
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cxshared.db
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'ac55173416db'
down_revision: str | None = '5b8e1f2c7a90'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('action_effect',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('journey_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('touchpoint_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('shipped_on', sa.Date(), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('computed_on', sa.Date(), nullable=True),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_effect'))
    )
    with op.batch_alter_table('action_effect', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_effect_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_effect_verdict'), ['verdict'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('action_effect', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_effect_verdict'))
        batch_op.drop_index(batch_op.f('ix_action_effect_journey_id'))

    op.drop_table('action_effect')
