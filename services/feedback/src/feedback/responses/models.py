from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from cxshared.db import JSONType, UTCDateTime
from cxshared.ids import new_id
from cxshared.timeutil import utcnow


class ResponseStatus(StrEnum):
    PARTIAL = "partial"
    COMPLETE = "complete"


class Response(SQLModel, table=True):
    """One respondent's answers to one survey version.

    Stored exactly once: `(survey_id, submission_id)` is unique, so a retried submission finds
    the first; `response_key` (NOT NULL, unique) is `invitation:<id>` for an invitation's
    response, so an invitation is answered once, and `submission:<survey>:<id>` otherwise.
    """

    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("survey_id", "submission_id"),
        Index("ix_response_survey_submitted", "survey_id", "submitted_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    survey_id: str = Field(
        sa_column=Column(String(36), ForeignKey("survey.id", ondelete="CASCADE"), nullable=False)
    )
    version: int
    touchpoint_id: str | None = Field(default=None, max_length=64, index=True)
    submission_id: str = Field(max_length=100)
    response_key: str = Field(max_length=200, unique=True)
    invitation_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("invitation.id", ondelete="SET NULL"), index=True),
    )
    resume_token: str = Field(max_length=64, unique=True)
    status: str = Field(default=ResponseStatus.PARTIAL, max_length=20)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    hidden: dict[str, str] = Field(default_factory=dict, sa_type=JSONType)
    respondent_external_id: str | None = Field(default=None, max_length=200, index=True)
    respondent_email: str | None = Field(default=None, max_length=320)
    channel: str = Field(max_length=20)
    flags: list[str] = Field(default_factory=list, sa_type=JSONType)
    nps_score: int | None = Field(default=None, description="The first NPS answer, for filters.")
    comment: str = Field(default="", description="Every text answer, for 'text contains'.")
    client_ip: str | None = Field(default=None, max_length=64)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
