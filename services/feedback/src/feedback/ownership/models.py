"""Feedback's read model of who owns what in the journey map, kept from journey's events."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from cxshared.db import UTCDateTime
from cxshared.timeutil import utcnow


class TouchpointOwner(SQLModel, table=True):
    """A touchpoint as journey last described it: its journey, named owner and owning team."""

    __tablename__ = "touchpoint_owner"

    id: str = Field(primary_key=True, max_length=64)
    version: int = 0
    name: str = Field(default="", max_length=200)
    journey_id: str | None = Field(default=None, max_length=64, index=True)
    journey_name: str = Field(default="", max_length=200)
    owner_name: str = Field(default="", max_length=200)
    owner_email: str | None = Field(default=None, max_length=320, index=True)
    owner_team_id: str | None = Field(default=None, max_length=64, index=True)
    deleted: bool = False


class OwnerTeam(SQLModel, table=True):
    """A team as journey last described it, with its lead."""

    __tablename__ = "owner_team"

    id: str = Field(primary_key=True, max_length=64)
    version: int = 0
    name: str = Field(default="", max_length=200)
    lead_name: str = Field(default="", max_length=200)
    lead_email: str | None = Field(default=None, max_length=320, index=True)
    deleted: bool = False


class IngestedEvent(SQLModel, table=True):
    """Ids of journey's events already applied, recorded in the transaction that applied them."""

    __tablename__ = "ingested_event"

    id: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=100)
    processed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
