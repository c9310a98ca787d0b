"""initial: api keys, outbox and webhooks, idempotency, the touchpoint dimension, response facts and daily rollups, customers, alerts

Revision ID: 8515e4b35f16
Revises:
Create Date: 2026-11-25 02:17:13.488891
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cxshared.db
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '8515e4b35f16'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('alert',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('touchpoint_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('metric', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('live_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('touchpoint_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('journey_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('owner_team_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('owner_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('owner_email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('opened_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('resolved_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('evidence', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('response_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('last_evaluated_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('live_key', name=op.f('uq_alert_live_key'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_touchpoint_id'), ['touchpoint_id'], unique=False)

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

    op.create_table('customer',
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('annual_revenue', sa.Float(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('churn_date', sa.Date(), nullable=True),
    sa.Column('updated_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('external_id', name=op.f('pk_customer'))
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_churn_date'), ['churn_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_segment'), ['segment'], unique=False)

    op.create_table('daily_rollup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('touchpoint_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('survey_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('nps_n', sa.Integer(), nullable=False),
    sa.Column('promoters', sa.Integer(), nullable=False),
    sa.Column('passives', sa.Integer(), nullable=False),
    sa.Column('detractors', sa.Integer(), nullable=False),
    sa.Column('csat_n', sa.Integer(), nullable=False),
    sa.Column('csat_top2', sa.Integer(), nullable=False),
    sa.Column('csat_sum', sa.Integer(), nullable=False),
    sa.Column('csat_sum_sq', sa.Integer(), nullable=False),
    sa.Column('ces_n', sa.Integer(), nullable=False),
    sa.Column('ces_agree', sa.Integer(), nullable=False),
    sa.Column('ces_sum', sa.Integer(), nullable=False),
    sa.Column('ces_sum_sq', sa.Integer(), nullable=False),
    sa.Column('rating_n', sa.Integer(), nullable=False),
    sa.Column('rating_sum', sa.Float(), nullable=False),
    sa.Column('experience_n', sa.Integer(), nullable=False),
    sa.Column('experience_sum', sa.Float(), nullable=False),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('negative_comments', sa.Integer(), nullable=False),
    sa.Column('sentiment_sum', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_rollup')),
    sa.UniqueConstraint('day', 'touchpoint_id', 'survey_id', 'channel', 'segment', name=op.f('uq_daily_rollup_day_touchpoint_id_survey_id_channel_segment'))
    )
    with op.batch_alter_table('daily_rollup', schema=None) as batch_op:
        batch_op.create_index('ix_daily_rollup_touchpoint_day', ['touchpoint_id', 'day'], unique=False)

    op.create_table('erased_response',
    sa.Column('response_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_erased_response'))
    )
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

    op.create_table('journey_dim',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_dim'))
    )
    op.create_table('latest_nps',
    sa.Column('respondent_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('answered_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('response_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('touchpoint_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('respondent_id', name=op.f('pk_latest_nps'))
    )
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
    op.create_table('processed_event',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('processed_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_processed_event'))
    )
    op.create_table('response_fact',
    sa.Column('response_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('survey_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('survey_version', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('respondent_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('hidden', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('submitted_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('nps', sa.Integer(), nullable=True),
    sa.Column('csat', sa.Integer(), nullable=True),
    sa.Column('ces', sa.Integer(), nullable=True),
    sa.Column('experience', sa.Float(), nullable=True),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sentiment', sa.Float(), nullable=True),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_response_fact'))
    )
    with op.batch_alter_table('response_fact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_fact_day'), ['day'], unique=False)
        batch_op.create_index('ix_response_fact_respondent_submitted', ['respondent_id', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_fact_survey_id'), ['survey_id'], unique=False)
        batch_op.create_index('ix_response_fact_touchpoint_submitted', ['touchpoint_id', 'submitted_at'], unique=False)

    op.create_table('stage_dim',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('journey_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('designed_emotion', sa.Integer(), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_dim'))
    )
    with op.batch_alter_table('stage_dim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_dim_journey_id'), ['journey_id'], unique=False)

    op.create_table('team_dim',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_dim'))
    )
    op.create_table('touchpoint_dim',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('journey_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('stage_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('owner_team_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('owner_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('owner_email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('moment_of_truth', sa.Boolean(), nullable=False),
    sa.Column('designed_emotion', sa.Integer(), nullable=True),
    sa.Column('targets', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_touchpoint_dim'))
    )
    with op.batch_alter_table('touchpoint_dim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_touchpoint_dim_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_touchpoint_dim_owner_team_id'), ['owner_team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_touchpoint_dim_stage_id'), ['stage_id'], unique=False)

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



def downgrade() -> None:
    with op.batch_alter_table('outbox_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_delivery_subscription_id'))
        batch_op.drop_index('ix_outbox_delivery_state_due')
        batch_op.drop_index(batch_op.f('ix_outbox_delivery_event_id'))

    op.drop_table('outbox_delivery')
    op.drop_table('webhook_subscription')
    with op.batch_alter_table('touchpoint_dim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_touchpoint_dim_stage_id'))
        batch_op.drop_index(batch_op.f('ix_touchpoint_dim_owner_team_id'))
        batch_op.drop_index(batch_op.f('ix_touchpoint_dim_journey_id'))

    op.drop_table('touchpoint_dim')
    op.drop_table('team_dim')
    with op.batch_alter_table('stage_dim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_dim_journey_id'))

    op.drop_table('stage_dim')
    with op.batch_alter_table('response_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_response_fact_touchpoint_submitted')
        batch_op.drop_index(batch_op.f('ix_response_fact_survey_id'))
        batch_op.drop_index('ix_response_fact_respondent_submitted')
        batch_op.drop_index(batch_op.f('ix_response_fact_day'))

    op.drop_table('response_fact')
    op.drop_table('processed_event')
    op.drop_table('outbox_event')
    op.drop_table('latest_nps')
    op.drop_table('journey_dim')
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_record_created_at'))

    op.drop_table('idempotency_record')
    op.drop_table('erased_response')
    with op.batch_alter_table('daily_rollup', schema=None) as batch_op:
        batch_op.drop_index('ix_daily_rollup_touchpoint_day')

    op.drop_table('daily_rollup')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_segment'))
        batch_op.drop_index(batch_op.f('ix_customer_churn_date'))

    op.drop_table('customer')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_name'))

    op.drop_table('api_key')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_touchpoint_id'))
        batch_op.drop_index(batch_op.f('ix_alert_status'))

    op.drop_table('alert')
