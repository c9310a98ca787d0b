"""second factor: authenticators, recovery codes, requirements per role, audit log

Revision ID: ab4929a11e3b
Revises: 5c2e9a41d7b3
Create Date: 2026-12-07 21:42:55
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cxshared.db
from alembic import op


revision: str = 'ab4929a11e3b'
down_revision: str | None = '5c2e9a41d7b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)

    op.create_table('second_factor_requirement',
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('updated_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('role', name=op.f('pk_second_factor_requirement'))
    )
    op.create_table('recovery_code',
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('used_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_recovery_code_user_id_staff_user')),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_recovery_code'))
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)

    op.create_table('second_factor',
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('confirmed_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_step', sa.Integer(), nullable=True),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('pending_session', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_second_factor_user_id_staff_user')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_second_factor'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('authenticated_with', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False, server_default='password'))
        batch_op.add_column(sa.Column('awaiting_code', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('second_factor_at', cxshared.db.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_column('second_factor_at')
        batch_op.drop_column('awaiting_code')
        batch_op.drop_column('authenticated_with')

    op.drop_table('second_factor')
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))

    op.drop_table('recovery_code')
    op.drop_table('second_factor_requirement')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))

    op.drop_table('audit_entry')
