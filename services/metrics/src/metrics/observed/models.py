from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from cxshared.db import JSONType, UTCDateTime
from cxshared.timeutil import utcnow


class ActivityEvent(SQLModel, table=True):
    """One activity a customer did or met (docs/observed.md). The event id is the key: a repeat
    with the same body changes nothing, one with another body is refused."""

    __tablename__ = "activity_event"
    __table_args__ = (Index("ix_activity_event_customer_at", "customer_id", "occurred_at"),)

    event_id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=200)
    activity: str = Field(max_length=100)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    channel: str = Field(default="", max_length=20)
    attributes: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    digest: str = Field(max_length=32, description="Of the body, to tell a repeat from a clash.")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


DAY = "d"
MONTH = "m"


class ObservedRollup(SQLModel, table=True):
    """Additive counters of the observed journeys, per journey and per day (and month) a case
    started: every figure of docs/observed.md is a sum of these over a period. The key leads
    with the journey, the segment and the kind, so a figure reads only its own kinds' rows.
    Each counter is kept for every customer (segment '') and for the customer's segment."""

    __tablename__ = "observed_rollup"

    journey_id: str = Field(primary_key=True, max_length=64)
    segment: str = Field(
        default="",
        primary_key=True,
        max_length=100,
        description="'' for every customer; else the customers of that segment only.",
    )
    kind: str = Field(primary_key=True, max_length=20)
    grain: str = Field(primary_key=True, max_length=1, description="d: a day; m: a month.")
    day: date = Field(primary_key=True, description="The day, or the month's first day.")
    key: str = Field(primary_key=True, max_length=32)
    label: str = Field(default="", sa_type=Text, description="The key's parts, joined by SEP.")
    count: int = 0
    millis: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class ObservedState(SQLModel, table=True):
    """Whether the rollups follow the current activity mapping and case settings. A mapping
    change marks them stale, and so do other settings than those they were built with, until
    `rebuild` recomputes them from the stored events."""

    __tablename__ = "observed_state"

    id: int = Field(default=1, primary_key=True)
    stale_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rebuilt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    case_gap_days: int | None = None
    loop_window_days: int | None = None
