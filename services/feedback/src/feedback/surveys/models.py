from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from cxshared.db import JSONType, UTCDateTime
from cxshared.ids import new_id
from cxshared.models import Editable
from cxshared.timeutil import utcnow


class SurveyStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class Survey(Editable, table=True):
    """A survey and its working draft; what respondents see is its published version."""

    __tablename__ = "survey"

    slug: str = Field(max_length=100, unique=True)
    title: str = Field(max_length=200)
    intro: str = Field(default="", max_length=5000)
    thank_you: str = Field(default="", max_length=5000)
    touchpoint_id: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default=SurveyStatus.DRAFT, max_length=20)
    opens_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    response_cap: int | None = None
    allowed_origins: list[str] = Field(default_factory=list, sa_type=JSONType)
    hidden_fields: list[str] = Field(default_factory=list, sa_type=JSONType)
    allow_anonymous: bool = True
    one_response_per_invitation: bool = True
    fatigue_days: int | None = None
    min_seconds_to_complete: int = 3
    store_ip: bool = False
    questions: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    published_version: int | None = None
    has_unpublished_changes: bool = False


class SurveyVersion(SQLModel, table=True):
    """A frozen definition: questions and the settings that govern answers."""

    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    survey_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("survey.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    number: int
    definition: dict[str, Any] = Field(sa_type=JSONType)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_by: str = Field(default="", max_length=200)
