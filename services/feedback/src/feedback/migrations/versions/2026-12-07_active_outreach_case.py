"""active_outreach_case: at most one active outreach case per customer (docs/cases.md)

Revision ID: 9a5d2e7c4f13
Revises: 7e41c0d9a2b6
Create Date: 2026-12-07 03:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op


revision: str = '9a5d2e7c4f13'
down_revision: str | None = '7e41c0d9a2b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_OUTREACH = sa.text(
    "source = 'outreach' AND state IN ('open', 'in_progress', 'waiting_on_customer')"
)


def upgrade() -> None:
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.create_index(
            'uq_case_record_active_outreach',
            ['respondent_external_id'],
            unique=True,
            sqlite_where=ACTIVE_OUTREACH,
            postgresql_where=ACTIVE_OUTREACH,
        )


def downgrade() -> None:
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_index('uq_case_record_active_outreach')
