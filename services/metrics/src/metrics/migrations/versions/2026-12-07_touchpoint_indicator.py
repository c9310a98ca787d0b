"""touchpoint indicator: the standard's measurable indicator, as journey describes it

Revision ID: 4a7f0c3e9d21
Revises: 9e4f2a61c8d3
Create Date: 2026-12-07 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '4a7f0c3e9d21'
down_revision: str | None = '9e4f2a61c8d3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    with op.batch_alter_table('touchpoint_dim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('indicator', json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('touchpoint_dim', schema=None) as batch_op:
        batch_op.drop_column('indicator')
