from datetime import date
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field

from cxshared.models import Editable


class JourneyState(StrEnum):
    CURRENT = "current"
    FUTURE = "future"


class JourneyStatus(StrEnum):
    DRAFT = "draft"
    LIVE = "live"
    ARCHIVED = "archived"


class Journey(Editable, table=True):
    __tablename__ = "journey"

    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    persona_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("persona.id", ondelete="RESTRICT"), index=True),
    )
    state: str = Field(default=JourneyState.CURRENT, max_length=20)
    status: str = Field(default=JourneyStatus.DRAFT, max_length=20)
    owner_name: str = Field(default="", max_length=200)
    owner_email: str | None = Field(default=None, max_length=320)
    review_cadence_days: int = 90
    last_reviewed_date: date | None = None
    origin_journey_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("journey.id", ondelete="SET NULL"), index=True),
    )
