from datetime import date, datetime

from sqlmodel import Field, SQLModel

from cxshared.db import UTCDateTime
from cxshared.timeutil import utcnow


class Customer(SQLModel, table=True):
    """A customer and their commercial outcome; responses link by the respondent's external id."""

    __tablename__ = "customer"

    external_id: str = Field(primary_key=True, max_length=200)
    name: str = Field(default="", max_length=200)
    segment: str = Field(default="", max_length=100, index=True)
    annual_revenue: float = 0.0
    start_date: date | None = None
    churn_date: date | None = Field(default=None, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LatestNps(SQLModel, table=True):
    """Each respondent's latest unflagged NPS answer, kept as facts arrive and go."""

    __tablename__ = "latest_nps"

    respondent_id: str = Field(primary_key=True, max_length=200)
    score: int
    answered_at: datetime = Field(sa_type=UTCDateTime)
    response_id: str = Field(max_length=64)
    touchpoint_id: str = Field(default="", max_length=64)
