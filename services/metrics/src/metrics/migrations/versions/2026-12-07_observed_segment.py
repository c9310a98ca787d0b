"""observed rollup segment: each counter also per customer segment

Revision ID: 5b8e1f2c7a90
Revises: 4a7f0c3e9d21
Create Date: 2026-12-07 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5b8e1f2c7a90'
down_revision: str | None = '4a7f0c3e9d21'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ["journey_id", "kind", "grain", "day", "key"]


def upgrade() -> None:
    with op.batch_alter_table('observed_rollup', recreate='always') as batch_op:
        batch_op.add_column(
            sa.Column('segment', sa.String(length=100), nullable=False, server_default='')
        )
        batch_op.drop_constraint('pk_observed_rollup', type_='primary')
        batch_op.create_primary_key(
            'pk_observed_rollup', ['journey_id', 'segment', 'kind', 'grain', 'day', 'key']
        )
    # Rollups built before have no per-segment rows: stale until rebuilt.
    op.execute(
        "UPDATE observed_state SET stale_since = CURRENT_TIMESTAMP WHERE stale_since IS NULL "
        "AND EXISTS (SELECT 1 FROM observed_rollup)"
    )


def downgrade() -> None:
    op.execute("DELETE FROM observed_rollup WHERE segment <> ''")
    with op.batch_alter_table('observed_rollup', recreate='always') as batch_op:
        batch_op.drop_constraint('pk_observed_rollup', type_='primary')
        batch_op.create_primary_key('pk_observed_rollup', KEY)
        batch_op.drop_column('segment')
