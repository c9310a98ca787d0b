from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from cxshared.db import UTCDateTime
from cxshared.ids import new_id
from cxshared.timeutil import utcnow


class ContactKind(StrEnum):
    SHOWN = "shown"
    INVITED = "invited"
    RESPONDED = "responded"
    REMINDED = "reminded"  # a reminder of an invitation: the same ask, not a new one
    UNSUBSCRIBED = "unsubscribed"  # no more survey mail, from any survey


class Contact(SQLModel, table=True):
    """The contact ledger: each time a person was asked (or answered), any survey, any channel."""

    __tablename__ = "contact"
    __table_args__ = (Index("ix_contact_respondent_at", "respondent_external_id", "at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    respondent_external_id: str = Field(max_length=200)
    survey_id: str = Field(max_length=36, index=True)
    channel: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RuleKind(StrEnum):
    ONCE_PER_DAYS = "once_per_days"
    MAX_PER_DAYS = "max_per_days"


class FatigueRule(SQLModel, table=True):
    """A rule across all surveys; each survey adds its own `fatigue_days`."""

    __tablename__ = "fatigue_rule"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    kind: str = Field(max_length=20)
    days: int
    max_count: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
