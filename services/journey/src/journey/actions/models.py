from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field

from cxshared.db import JSONType, UTCDateTime
from cxshared.models import Editable


class ActionState(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SHIPPED = "shipped"
    ABANDONED = "abandoned"


TRANSITIONS: dict[str, frozenset[str]] = {
    ActionState.PLANNED: frozenset(
        {ActionState.IN_PROGRESS, ActionState.SHIPPED, ActionState.ABANDONED}
    ),
    ActionState.IN_PROGRESS: frozenset(
        {ActionState.PLANNED, ActionState.SHIPPED, ActionState.ABANDONED}
    ),
    # Shipped is final: its effect is measured from the ship date (docs/improvement.md).
    ActionState.SHIPPED: frozenset(),
    ActionState.ABANDONED: frozenset({ActionState.PLANNED}),
}
"""The states an action may move to from each state."""


class Action(Editable, table=True):
    """A planned change to the experience, and the touchpoints, stages and opportunities it
    answers. Links are kept as ids of the same journey: a touchpoint deleted later stays named
    by a shipped action, whose effect is measured on it."""

    __tablename__ = "action"

    journey_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("journey.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    opportunity_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
    touchpoint_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
    stage_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
    owner_name: str = Field(default="", max_length=200)
    owner_email: str | None = Field(default=None, max_length=320)
    team_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("team.id", ondelete="RESTRICT"), index=True),
    )
    due_date: date | None = None
    state: str = Field(default=ActionState.PLANNED, max_length=20, index=True)
    shipped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
