"""sentiment_case_rule: a case rule's sentiment threshold (docs/cases.md)

Revision ID: 7e41c0d9a2b6
Revises: 3c3aacf48154
Create Date: 2026-12-07 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op


revision: str = '7e41c0d9a2b6'
down_revision: str | None = '3c3aacf48154'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('case_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('threshold', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_rule', schema=None) as batch_op:
        batch_op.drop_column('threshold')
