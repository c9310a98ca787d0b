"""touchpoint indicator: the standard's measurable indicator on activity events

Revision ID: 7c2d9e4f1a6b
Revises: 3b8e51d0a7c4
Create Date: 2026-12-07 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '7c2d9e4f1a6b'
down_revision: str | None = '3b8e51d0a7c4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('indicator', json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.drop_column('indicator')
