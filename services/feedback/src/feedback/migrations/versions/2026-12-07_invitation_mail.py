"""invitations by e-mail: survey e-mail settings, each invitation's mail steps, unsubscribe
tokens (docs/email.md, "Invitations by e-mail")

Revision ID: 6c1e9b3d7a52
Revises: 0634921cf67d
Create Date: 2026-12-07 06:00:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cxshared.db
from alembic import op

revision: str = '6c1e9b3d7a52'
down_revision: str | None = '0634921cf67d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('survey_email',
    sa.Column('survey_id', sa.String(length=36), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('subject_template', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('text_template', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.Column('html_template', sqlmodel.sql.sqltypes.AutoString(length=50000), nullable=True),
    sa.Column('embed_nps', sa.Boolean(), nullable=False),
    sa.Column('reminders', sa.Integer(), nullable=False),
    sa.Column('reminder_after_days', sa.Integer(), nullable=False),
    sa.Column('tracking', sa.Boolean(), nullable=False),
    sa.Column('updated_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_email_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', name=op.f('pk_survey_email'))
    )
    op.create_table('invitation_mail',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('invitation_id', sa.String(length=36), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('mail_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('sent_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name=op.f('fk_invitation_mail_invitation_id_invitation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_mail')),
    sa.UniqueConstraint('invitation_id', 'step', name=op.f('uq_invitation_mail_invitation_id_step'))
    )
    op.create_index(op.f('ix_invitation_mail_mail_id'), 'invitation_mail', ['mail_id'], unique=False)
    op.create_index(op.f('ix_invitation_mail_state'), 'invitation_mail', ['state'], unique=False)
    with op.batch_alter_table('invitation', schema=None) as batch:
        batch.add_column(sa.Column('unsubscribe_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column('sent_at', cxshared.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('mail_opened_at', cxshared.db.UTCDateTime(timezone=True), nullable=True))
        batch.create_unique_constraint(op.f('uq_invitation_unsubscribe_token'), ['unsubscribe_token'])
    # Invitations made before this get their unsubscribe token now (128 random bits each).
    invitation = sa.table('invitation', sa.column('id', sa.String), sa.column('unsubscribe_token', sa.String))
    connection = op.get_bind()
    for (invitation_id,) in connection.execute(sa.select(invitation.c.id)).all():
        connection.execute(
            invitation.update()
            .where(invitation.c.id == invitation_id)
            .values(unsubscribe_token=secrets.token_urlsafe(16))
        )


def downgrade() -> None:
    with op.batch_alter_table('invitation', schema=None) as batch:
        batch.drop_constraint(op.f('uq_invitation_unsubscribe_token'), type_='unique')
        batch.drop_column('mail_opened_at')
        batch.drop_column('sent_at')
        batch.drop_column('unsubscribe_token')
    op.drop_index(op.f('ix_invitation_mail_state'), table_name='invitation_mail')
    op.drop_index(op.f('ix_invitation_mail_mail_id'), table_name='invitation_mail')
    op.drop_table('invitation_mail')
    op.drop_table('survey_email')
