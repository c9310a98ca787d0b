"""improvement: actions that answer opportunities; evidence as typed references; map versions

Revision ID: 5218f04ed320
Revises: dff4c4a5214a
Create Date: 2026-12-07 04:41:00.149880
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel

import cxshared.db
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '5218f04ed320'
down_revision: str | None = 'dff4c4a5214a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OPPORTUNITY = sa.table(
    "opportunity", sa.column("id", sa.String), sa.column("evidence", cxshared.db.JSONType)
)


def _retype_evidence(retype: Callable[[list[Any]], list[Any]]) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(OPPORTUNITY.c.id, OPPORTUNITY.c.evidence)).all():
        bind.execute(
            OPPORTUNITY.update()
            .where(OPPORTUNITY.c.id == row.id)
            .values(evidence=retype(row.evidence or []))
        )


def upgrade() -> None:
    # Evidence was a list of response ids: each becomes a reference of kind `response`.
    _retype_evidence(lambda ids: [{"kind": "response", "id": i, "label": ""} for i in ids])
    op.create_table('action',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('journey_id', sa.String(length=36), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('opportunity_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('touchpoint_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('stage_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('owner_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('owner_email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('team_id', sa.String(length=36), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('shipped_at', cxshared.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], name=op.f('fk_action_journey_id_journey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_action_team_id_team'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action'))
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_team_id'), ['team_id'], unique=False)



    op.create_table('journey_version',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('journey_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('taken_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cxshared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], name=op.f('fk_journey_version_journey_id_journey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_version')),
    sa.UniqueConstraint('journey_id', 'number', name=op.f('uq_journey_version_journey_id_number'))
    )


def downgrade() -> None:
    op.drop_table('journey_version')
    # Back to response ids: references of the other kinds cannot be kept.
    _retype_evidence(lambda refs: [r["id"] for r in refs if r.get("kind") == "response"])
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_team_id'))
        batch_op.drop_index(batch_op.f('ix_action_state'))
        batch_op.drop_index(batch_op.f('ix_action_journey_id'))

    op.drop_table('action')
