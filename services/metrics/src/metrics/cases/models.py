from datetime import datetime

from sqlmodel import Field, SQLModel

from cxshared.db import UTCDateTime


class CaseFact(SQLModel, table=True):
    """A case as feedback's latest event about it described it: what the case figures need.

    The clocks' seconds are SLA time (paused while waiting on the customer), kept once the
    clock stopped; `*_met` is null while the clock runs within its target (not decided)."""

    __tablename__ = "case_fact"

    case_id: str = Field(primary_key=True, max_length=64)
    version: int = 0
    source_at: datetime = Field(sa_type=UTCDateTime)
    respondent_id: str | None = Field(default=None, max_length=200, index=True)
    journey_id: str = Field(default="", max_length=64, index=True)
    journey_name: str = Field(default="", max_length=200)
    touchpoint_id: str = Field(default="", max_length=64, index=True)
    touchpoint_name: str = Field(default="", max_length=200)
    team_id: str = Field(default="", max_length=64, index=True)
    team_name: str = Field(default="", max_length=200)
    priority: str = Field(default="", max_length=20)
    state: str = Field(default="", max_length=30)
    opened_at: datetime = Field(sa_type=UTCDateTime, index=True)
    first_contact_seconds: float | None = None
    resolution_seconds: float | None = None
    first_contact_met: bool | None = None
    resolution_met: bool | None = None
    follow_up_sent: bool = False
    recovered: bool | None = None
