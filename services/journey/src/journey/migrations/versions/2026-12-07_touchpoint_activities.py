"""touchpoint activities: the activity names that mean a customer was at the touchpoint

Revision ID: 3b8e51d0a7c4
Revises: 5218f04ed320
Create Date: 2026-12-07 04:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '3b8e51d0a7c4'
down_revision: str | None = '5218f04ed320'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('activities', json, nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.drop_column('activities')
