"""response_fact.sentiment_version: which scorer gave each stored comment its sentiment

Revision ID: 5c1e7d2a9b40
Revises: 00cec28fa20e
Create Date: 2026-12-06 23:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op


revision: str = '5c1e7d2a9b40'
down_revision: str | None = '00cec28fa20e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Comments stored before this have no version: `cx-metrics rescore-sentiment` scores them
    # again with the current scorer (docs/metrics.md, "Comment sentiment"). A nullable column
    # is added in place on both databases: no copy of the table.
    op.add_column(
        'response_fact',
        sa.Column('sentiment_version', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table('response_fact') as batch:
        batch.drop_column('sentiment_version')
