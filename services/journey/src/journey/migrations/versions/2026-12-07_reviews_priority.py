"""reviews of a journey; an opportunity's priority override and its reason

Revision ID: 9d41c7b2e8a5
Revises: 7c2d9e4f1a6b
Create Date: 2026-12-07 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import cxshared.db

revision: str = '9d41c7b2e8a5'
down_revision: str | None = '7c2d9e4f1a6b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority_override', sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column(
                'priority_reason',
                sqlmodel.sql.sqltypes.AutoString(length=1000),
                nullable=False,
                server_default='',
            )
        )
    op.create_table('journey_review',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('journey_id', sa.String(length=36), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('acknowledged', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], name=op.f('fk_journey_review_journey_id_journey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_review'))
    )
    with op.batch_alter_table('journey_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_review_journey_id'), ['journey_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('journey_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_review_journey_id'))
    op.drop_table('journey_review')
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.drop_column('priority_reason')
        batch_op.drop_column('priority_override')
