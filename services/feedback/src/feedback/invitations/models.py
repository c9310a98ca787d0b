from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from cxshared.db import JSONType, UTCDateTime
from cxshared.ids import new_id
from cxshared.timeutil import utcnow


class InvitationStatus(StrEnum):
    CREATED = "created"
    QUEUED = "queued"  # its mail is waiting for the SMTP server
    SENT = "sent"  # the SMTP server accepted its mail
    BOUNCED = "bounced"  # the SMTP server refused its mail for good (or it never got through)
    UNSUBSCRIBED = "unsubscribed"  # the person stopped all survey mail
    OPENED = "opened"
    STARTED = "started"
    COMPLETED = "completed"
    EXPIRED = "expired"


# Not opened yet: the link was made, and perhaps mailed.
UNOPENED = (InvitationStatus.CREATED, InvitationStatus.QUEUED, InvitationStatus.SENT)
# Still waiting for an answer (an expired one reads as expired: effective_status).
OPEN = (*UNOPENED, InvitationStatus.OPENED, InvitationStatus.STARTED)


class Invitation(SQLModel, table=True):
    """A personal link to a survey: its token is 128 random bits, never a record id."""

    __tablename__ = "invitation"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    survey_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("survey.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token: str = Field(max_length=64, unique=True)
    external_id: str = Field(max_length=200, index=True)
    email: str | None = Field(default=None, max_length=320)
    attributes: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    channel: str = Field(default="email", max_length=20)
    status: str = Field(default=InvitationStatus.CREATED, max_length=20)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # 128 random bits for the unsubscribe link of its mail; never the survey token.
    unsubscribe_token: str | None = Field(default=None, max_length=64, unique=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    mail_opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
