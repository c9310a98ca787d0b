"""mail outbox: one row per message, queued in the transaction that causes it (docs/email.md)

Revision ID: 4f2b8d6a1c37
Revises: 9a5d2e7c4f13
Create Date: 2026-12-07 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

import cxshared.db
from alembic import op


revision: str = '4f2b8d6a1c37'
down_revision: str | None = '9a5d2e7c4f13'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mail_message',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('to_address', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('to_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_token', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('last_attempt_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('sent_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_message'))
    )
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.create_index('ix_mail_message_kind_ref', ['kind', 'ref'], unique=False)
        batch_op.create_index('ix_mail_message_state_due', ['state', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_message_state_due')
        batch_op.drop_index('ix_mail_message_kind_ref')

    op.drop_table('mail_message')
