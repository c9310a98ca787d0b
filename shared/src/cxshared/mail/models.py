"""The mail outbox: one row per message, from queued to sent, bounced or failed."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from cxshared.db import JSONType, UTCDateTime
from cxshared.ids import new_id
from cxshared.timeutil import utcnow


class MailState(StrEnum):
    QUEUED = "queued"  # waiting for the sender (first try or a retry)
    SENT = "sent"  # the SMTP server accepted it (250 after DATA)
    BOUNCED = "bounced"  # the SMTP server refused it for good (5xx)
    FAILED = "failed"  # still refused for a passing reason (4xx, unreachable) after the last try


class MailMessage(SQLModel, table=True):
    """A service that mails imports this in its models (as it does the event outbox) and
    creates the table in one of its own migrations (docs/email.md, "The outbox")."""

    __tablename__ = "mail_message"
    __table_args__ = (
        Index("ix_mail_message_state_due", "state", "next_attempt_at"),
        Index("ix_mail_message_kind_ref", "kind", "ref"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    kind: str = Field(max_length=50, description="What the mail is: invitation, reminder ...")
    ref: str | None = Field(default=None, max_length=100, description="What it is about.")
    to_address: str = Field(max_length=320)
    to_name: str | None = Field(default=None, max_length=200)
    subject: str = Field(max_length=500)
    text_body: str = Field(sa_type=Text)
    html_body: str | None = Field(default=None, sa_type=Text)
    headers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    state: str = Field(default=MailState.QUEUED, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_token: str | None = Field(default=None, max_length=36)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
