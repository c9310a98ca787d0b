"""theme and comment_theme: the taxonomy of comment themes per journey and the comments
that mention each

Revision ID: cf8bb652fb96
Revises: 6ba4dcdc25b7
Create Date: 2026-12-06 22:52:40.235697
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cxshared.db
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'cf8bb652fb96'
down_revision: str | None = '6ba4dcdc25b7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('theme',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('journey_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('phrases', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme')),
    sa.UniqueConstraint('journey_id', 'name', name=op.f('uq_theme_journey_id_name'))
    )
    with op.batch_alter_table('theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_journey_id'), ['journey_id'], unique=False)

    op.create_table('comment_theme',
    sa.Column('response_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('theme_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_comment_theme_theme_id_theme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'theme_id', name=op.f('pk_comment_theme'))
    )
    with op.batch_alter_table('comment_theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_theme_theme_id'), ['theme_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('comment_theme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_theme_theme_id'))

    op.drop_table('comment_theme')
    with op.batch_alter_table('theme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_theme_journey_id'))

    op.drop_table('theme')
