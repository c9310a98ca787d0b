"""case_record: no index of its own on response_id (the unique (response_id, rule_id) serves it)

Revision ID: 4f0b6d2a9c81
Revises: 6c1e9b3d7a52
Create Date: 2026-12-07 19:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '4f0b6d2a9c81'
down_revision: str | None = '6c1e9b3d7a52'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_record_response_id'))


def downgrade() -> None:
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_record_response_id'), ['response_id'], unique=False)
