"""contact_ledger_and_fatigue_rules: who was asked when, and the rules across surveys

Revision ID: 2d297792d875
Revises: 871fad7639da
Create Date: 2026-11-24 23:07:04.854373
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cxshared.db
from alembic import op


revision: str = '2d297792d875'
down_revision: str | None = '871fad7639da'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('contact',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('respondent_external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('survey_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact'))
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index('ix_contact_respondent_at', ['respondent_external_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_survey_id'), ['survey_id'], unique=False)

    op.create_table('fatigue_rule',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('max_count', sa.Integer(), nullable=False),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fatigue_rule'))
    )


def downgrade() -> None:
    op.drop_table('fatigue_rule')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_survey_id'))
        batch_op.drop_index('ix_contact_respondent_at')

    op.drop_table('contact')
