"""One fact per completed response, and the daily rollups every score is read from."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from cxshared.db import JSONType, UTCDateTime


class ResponseFact(SQLModel, table=True):
    """A completed response as metrics needs it: the first answer of each scored type, the
    comment and its sentiment, and the keys of its rollup row."""

    __tablename__ = "response_fact"
    __table_args__ = (
        Index("ix_response_fact_touchpoint_submitted", "touchpoint_id", "submitted_at"),
        Index("ix_response_fact_respondent_submitted", "respondent_id", "submitted_at"),
    )

    response_id: str = Field(primary_key=True, max_length=64)
    survey_id: str = Field(max_length=64, index=True)
    survey_version: int = 1
    touchpoint_id: str = Field(default="", max_length=64)  # "" for a relationship survey
    respondent_id: str | None = Field(default=None, max_length=200)
    channel: str = Field(default="", max_length=20)
    segment: str = Field(default="", max_length=100)
    hidden: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    day: date = Field(index=True)
    flagged: bool = False  # tripped an anti-abuse check: kept, but left out of every figure
    nps: int | None = None
    csat: int | None = None
    ces: int | None = None
    experience: float | None = None  # mean of the scored answers rescaled to -2 ... +2
    comment: str | None = None
    sentiment: float | None = None  # VADER compound score, -1 ... +1
    # The scorer that gave `sentiment` (metrics.comments.version); None before versions were kept.
    sentiment_version: str | None = Field(default=None, max_length=16)
    answers: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    source_at: datetime = Field(sa_type=UTCDateTime)  # when the event that set it occurred


class RollupSums(SQLModel):
    """What a rollup row adds up over unflagged facts."""

    touchpoint_id: str = Field(max_length=64)
    survey_id: str = Field(max_length=64)
    channel: str = Field(max_length=20)
    segment: str = Field(max_length=100)
    responses: int = 0
    nps_n: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    csat_n: int = 0
    csat_top2: int = 0
    csat_sum: int = 0
    csat_sum_sq: int = 0
    ces_n: int = 0
    ces_agree: int = 0
    ces_sum: int = 0
    ces_sum_sq: int = 0
    rating_n: int = 0
    rating_sum: float = 0.0  # rescaled to -2 ... +2, since scales differ
    experience_n: int = 0
    experience_sum: float = 0.0
    comments: int = 0
    negative_comments: int = 0
    sentiment_sum: float = 0.0


class DailyRollup(RollupSums, table=True):
    """Sums per (day, touchpoint, survey, channel, segment)."""

    __tablename__ = "daily_rollup"
    __table_args__ = (
        UniqueConstraint("day", "touchpoint_id", "survey_id", "channel", "segment"),
        Index("ix_daily_rollup_touchpoint_day", "touchpoint_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date


class MonthlyRollup(RollupSums, table=True):
    """The same sums per calendar month (`month` is its first day): a period of many months
    reads a row per month, not per day, for the whole months it covers."""

    __tablename__ = "monthly_rollup"
    __table_args__ = (
        UniqueConstraint("month", "touchpoint_id", "survey_id", "channel", "segment"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: date


class ErasedResponse(SQLModel, table=True):
    """Responses of an erased respondent: a late or replayed event cannot bring them back."""

    __tablename__ = "erased_response"

    response_id: str = Field(primary_key=True, max_length=64)
