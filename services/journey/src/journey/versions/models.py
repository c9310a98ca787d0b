from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from cxshared.db import JSONType, UTCDateTime
from cxshared.ids import new_id
from cxshared.timeutil import utcnow


class VersionReason(StrEnum):
    PUBLISHED = "published"
    CHANGED = "changed"


class JourneyVersion(SQLModel, table=True):
    """The map of a live journey at one point: kept at every publish, and once a day (the last
    state of that day) while changes are made to it live."""

    __tablename__ = "journey_version"
    __table_args__ = (UniqueConstraint("journey_id", "number"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    journey_id: str = Field(
        sa_column=Column(String(36), ForeignKey("journey.id", ondelete="CASCADE"), nullable=False)
    )  # looked up by the unique (journey_id, number)
    number: int
    reason: str = Field(max_length=20)
    day: date
    """The UTC day it stands for: a day's live changes update that day's version."""
    taken_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(default="", max_length=200)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
