"""initial: api keys, outbox and webhooks, idempotency, surveys and versions, invitations, responses

Revision ID: 871fad7639da
Revises:
Create Date: 2026-11-24 22:53:03.806345
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cxshared.db
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '871fad7639da'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_key',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('display_prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('scopes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_name'), ['name'], unique=False)

    op.create_table('idempotency_record',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('principal', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('request_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_record')),
    sa.UniqueConstraint('principal', 'key', name=op.f('uq_idempotency_record_principal_key'))
    )
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_record_created_at'), ['created_at'], unique=False)

    op.create_table('outbox_event',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('schema_version', sa.Integer(), nullable=False),
    sa.Column('occurred_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_event'))
    )
    op.create_table('survey',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('intro', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('thank_you', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('touchpoint_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('opens_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closes_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_cap', sa.Integer(), nullable=True),
    sa.Column('allowed_origins', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('hidden_fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('allow_anonymous', sa.Boolean(), nullable=False),
    sa.Column('one_response_per_invitation', sa.Boolean(), nullable=False),
    sa.Column('fatigue_days', sa.Integer(), nullable=True),
    sa.Column('min_seconds_to_complete', sa.Integer(), nullable=False),
    sa.Column('store_ip', sa.Boolean(), nullable=False),
    sa.Column('questions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('published_version', sa.Integer(), nullable=True),
    sa.Column('has_unpublished_changes', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey')),
    sa.UniqueConstraint('slug', name=op.f('uq_survey_slug'))
    )
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_touchpoint_id'), ['touchpoint_id'], unique=False)

    op.create_table('webhook_subscription',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('event_types', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('previous_secret', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('previous_secret_expires_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscription'))
    )
    op.create_table('invitation',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('survey_id', sa.String(length=36), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('attributes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('expires_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_invitation_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('token', name=op.f('uq_invitation_token'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_survey_id'), ['survey_id'], unique=False)

    op.create_table('outbox_delivery',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('destination', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_token', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('last_attempt_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('delivered_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['outbox_event.id'], name=op.f('fk_outbox_delivery_event_id_outbox_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'], name=op.f('fk_outbox_delivery_subscription_id_webhook_subscription'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_delivery'))
    )
    with op.batch_alter_table('outbox_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_delivery_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_outbox_delivery_state_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_delivery_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('survey_version',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('survey_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('published_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_version_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_version')),
    sa.UniqueConstraint('survey_id', 'number', name=op.f('uq_survey_version_survey_id_number'))
    )
    with op.batch_alter_table('survey_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_version_survey_id'), ['survey_id'], unique=False)

    op.create_table('response',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('survey_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('submission_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('response_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('invitation_id', sa.String(length=36), nullable=True),
    sa.Column('resume_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('hidden', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('respondent_external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('respondent_email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('flags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('nps_score', sa.Integer(), nullable=True),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('client_ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('started_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name=op.f('fk_response_invitation_id_invitation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_response_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response')),
    sa.UniqueConstraint('response_key', name=op.f('uq_response_response_key')),
    sa.UniqueConstraint('resume_token', name=op.f('uq_response_resume_token')),
    sa.UniqueConstraint('survey_id', 'submission_id', name=op.f('uq_response_survey_id_submission_id'))
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_respondent_external_id'), ['respondent_external_id'], unique=False)
        batch_op.create_index('ix_response_survey_submitted', ['survey_id', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_touchpoint_id'), ['touchpoint_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_touchpoint_id'))
        batch_op.drop_index('ix_response_survey_submitted')
        batch_op.drop_index(batch_op.f('ix_response_respondent_external_id'))
        batch_op.drop_index(batch_op.f('ix_response_invitation_id'))

    op.drop_table('response')
    with op.batch_alter_table('survey_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_version_survey_id'))

    op.drop_table('survey_version')
    with op.batch_alter_table('outbox_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_delivery_subscription_id'))
        batch_op.drop_index('ix_outbox_delivery_state_due')
        batch_op.drop_index(batch_op.f('ix_outbox_delivery_event_id'))

    op.drop_table('outbox_delivery')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_survey_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_external_id'))

    op.drop_table('invitation')
    op.drop_table('webhook_subscription')
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_touchpoint_id'))

    op.drop_table('survey')
    op.drop_table('outbox_event')
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_record_created_at'))

    op.drop_table('idempotency_record')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_name'))

    op.drop_table('api_key')
