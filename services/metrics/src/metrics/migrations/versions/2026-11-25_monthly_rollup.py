"""monthly_rollup: the daily sums per calendar month, for long periods

Revision ID: 00cec28fa20e
Revises: 8515e4b35f16
Create Date: 2026-11-25 05:04:07.444414
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cxshared.db
from alembic import op


revision: str = '00cec28fa20e'
down_revision: str | None = '8515e4b35f16'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = (
    "responses nps_n promoters passives detractors csat_n csat_top2 csat_sum csat_sum_sq ces_n "
    "ces_agree ces_sum ces_sum_sq rating_n rating_sum experience_n experience_sum comments "
    "negative_comments sentiment_sum"
).split()


def upgrade() -> None:
    op.create_table('monthly_rollup',
    sa.Column('touchpoint_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('survey_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('nps_n', sa.Integer(), nullable=False),
    sa.Column('promoters', sa.Integer(), nullable=False),
    sa.Column('passives', sa.Integer(), nullable=False),
    sa.Column('detractors', sa.Integer(), nullable=False),
    sa.Column('csat_n', sa.Integer(), nullable=False),
    sa.Column('csat_top2', sa.Integer(), nullable=False),
    sa.Column('csat_sum', sa.Integer(), nullable=False),
    sa.Column('csat_sum_sq', sa.Integer(), nullable=False),
    sa.Column('ces_n', sa.Integer(), nullable=False),
    sa.Column('ces_agree', sa.Integer(), nullable=False),
    sa.Column('ces_sum', sa.Integer(), nullable=False),
    sa.Column('ces_sum_sq', sa.Integer(), nullable=False),
    sa.Column('rating_n', sa.Integer(), nullable=False),
    sa.Column('rating_sum', sa.Float(), nullable=False),
    sa.Column('experience_n', sa.Integer(), nullable=False),
    sa.Column('experience_sum', sa.Float(), nullable=False),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('negative_comments', sa.Integer(), nullable=False),
    sa.Column('sentiment_sum', sa.Float(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_rollup')),
    sa.UniqueConstraint('month', 'touchpoint_id', 'survey_id', 'channel', 'segment', name=op.f('uq_monthly_rollup_month_touchpoint_id_survey_id_channel_segment'))
    )
    # Backfill from the daily rows: each month's sums are the sums of its days.
    if op.get_bind().dialect.name == "postgresql":
        month = "CAST(date_trunc('month', day) AS date)"
    else:
        month = "date(day, 'start of month')"
    sums = list(SUMS)
    op.execute(
        f"INSERT INTO monthly_rollup (month, touchpoint_id, survey_id, channel, segment, "
        f"{', '.join(sums)}) "
        f"SELECT {month}, touchpoint_id, survey_id, channel, segment, "
        f"{', '.join(f'SUM({c})' for c in sums)} FROM daily_rollup "
        f"GROUP BY {month}, touchpoint_id, survey_id, channel, segment"
    )


def downgrade() -> None:
    op.drop_table('monthly_rollup')
