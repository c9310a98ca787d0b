"""case facts: one row per case from feedback's case events, for the case figures

Revision ID: 7d3a1c9e5b20
Revises: cf8bb652fb96
Create Date: 2026-12-07 02:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cxshared.db
from alembic import op

revision: str = '7d3a1c9e5b20'
down_revision: str | None = 'cf8bb652fb96'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table('case_fact',
    sa.Column('case_id', text(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('respondent_id', text(length=200), nullable=True),
    sa.Column('journey_id', text(length=64), nullable=False),
    sa.Column('journey_name', text(length=200), nullable=False),
    sa.Column('touchpoint_id', text(length=64), nullable=False),
    sa.Column('touchpoint_name', text(length=200), nullable=False),
    sa.Column('team_id', text(length=64), nullable=False),
    sa.Column('team_name', text(length=200), nullable=False),
    sa.Column('priority', text(length=20), nullable=False),
    sa.Column('state', text(length=30), nullable=False),
    sa.Column('opened_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_contact_seconds', sa.Float(), nullable=True),
    sa.Column('resolution_seconds', sa.Float(), nullable=True),
    sa.Column('first_contact_met', sa.Boolean(), nullable=True),
    sa.Column('resolution_met', sa.Boolean(), nullable=True),
    sa.Column('follow_up_sent', sa.Boolean(), nullable=False),
    sa.Column('recovered', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_fact'))
    )
    for column in ('respondent_id', 'journey_id', 'touchpoint_id', 'team_id', 'opened_at'):
        op.create_index(op.f(f'ix_case_fact_{column}'), 'case_fact', [column], unique=False)


def downgrade() -> None:
    for column in ('respondent_id', 'journey_id', 'touchpoint_id', 'team_id', 'opened_at'):
        op.drop_index(op.f(f'ix_case_fact_{column}'), table_name='case_fact')
    op.drop_table('case_fact')
