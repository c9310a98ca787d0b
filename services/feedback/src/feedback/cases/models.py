"""Cases: an unhappy customer's answer turned into work for the touchpoint's owner."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from cxshared.db import JSONType, UTCDateTime
from cxshared.ids import new_id
from cxshared.models import Editable
from cxshared.timeutil import utcnow


class Priority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"


class CaseState(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class RuleKind(StrEnum):
    """What a rule looks at: a score question's answer (between `min_value` and `max_value`,
    inclusive), a chosen option, keywords in the text answers, or the text answers' sentiment
    (below `threshold`)."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    RATING = "rating"
    OPTION = "option"
    KEYWORD = "keyword"
    SENTIMENT = "sentiment"


class CaseSource(StrEnum):
    RULE = "rule"
    MANUAL = "manual"
    OUTREACH = "outreach"  # reaching out to a customer at risk of churning, by hand


# A customer has at most one outreach case being worked: a second click, or two at once, finds it.
ACTIVE_OUTREACH = text(
    "source = 'outreach' AND state IN ('open', 'in_progress', 'waiting_on_customer')"
)


class CaseRule(Editable, table=True):
    """Opens a case when a completed response's answers meet its condition. Global rules
    (no survey) apply to every survey that has no rules of its own."""

    __tablename__ = "case_rule"

    name: str = Field(max_length=200)
    survey_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("survey.id", ondelete="CASCADE"), index=True),
    )
    kind: str = Field(max_length=20)
    question: str | None = Field(
        default=None,
        max_length=100,
        description="A question key; none: every question of the kind.",
    )
    min_value: int | None = None
    max_value: int | None = None
    option: str | None = Field(default=None, max_length=200)
    keywords: list[str] = Field(default_factory=list, sa_type=JSONType)
    threshold: float | None = Field(
        default=None, description="Sentiment kind: a comment scoring below it meets the rule."
    )
    priority: str = Field(default=Priority.NORMAL, max_length=20)
    enabled: bool = True


class RootCause(Editable, table=True):
    """A managed list of root causes, per journey (none: offered for every journey)."""

    __tablename__ = "root_cause"
    __table_args__ = (UniqueConstraint("journey_id", "name"),)

    journey_id: str | None = Field(default=None, max_length=64, index=True)
    name: str = Field(max_length=200)
    active: bool = True


class Case(Editable, table=True):
    """A case. A response opens at most one case per rule: `(response_id, rule_id)` is unique,
    so a retried, replayed or edited answer finds the case it opened; a customer has at most one
    active outreach case.

    SLA clocks are kept as stored times: the seconds paused so far and since when the clocks
    stand still (waiting on the customer, resolved, closed). `*_due_at` are the due times of
    running clocks (null while they stand), `*_risk_at` when 80 % of the time is used, and
    `*_breached_at` when the breach was announced, once."""

    __tablename__ = "case_record"
    __table_args__ = (
        UniqueConstraint("response_id", "rule_id"),
        Index("ix_case_record_state_opened", "state", "opened_at"),
        Index("ix_case_record_assignee_state", "assignee_email", "state"),
        Index(
            "uq_case_record_active_outreach",
            "respondent_external_id",
            unique=True,
            sqlite_where=ACTIVE_OUTREACH,
            postgresql_where=ACTIVE_OUTREACH,
        ),
    )

    source: str = Field(default=CaseSource.RULE, max_length=20)
    rule_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("case_rule.id", ondelete="SET NULL")),
    )
    # Looked up by the unique (response_id, rule_id), whose first column serves a lookup by the
    # response alone: an index of its own would be written on every case for nothing.
    response_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("response.id", ondelete="CASCADE")),
    )
    survey_id: str | None = Field(default=None, max_length=36)
    touchpoint_id: str | None = Field(default=None, max_length=64, index=True)
    journey_id: str | None = Field(default=None, max_length=64, index=True)
    respondent_external_id: str | None = Field(default=None, max_length=200, index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    reason: str = Field(default="", max_length=500)
    priority: str = Field(default=Priority.NORMAL, max_length=20)
    state: str = Field(default=CaseState.OPEN, max_length=30)
    assignee_email: str | None = Field(default=None, max_length=320)
    assignee_name: str = Field(default="", max_length=200)
    assignee_team_id: str | None = Field(default=None, max_length=64, index=True)
    routed: bool = Field(default=True, description="Assigned by routing, not by hand.")
    root_cause_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("root_cause.id", ondelete="SET NULL")),
    )
    resolution: str = Field(default="", max_length=5000)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    first_contact_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_contact_seconds: float | None = None
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_seconds: float = 0.0
    paused_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_contact_target_seconds: float
    resolution_target_seconds: float
    first_contact_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    first_contact_risk_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    resolution_risk_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_contact_breached_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution_breached_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    followup_token: str | None = Field(default=None, max_length=64, unique=True)
    followup_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    followup_answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    followup_score: int | None = None
    recovered: bool | None = None


def _case_id() -> Any:
    return Column(
        String(36), ForeignKey("case_record.id", ondelete="CASCADE"), nullable=False, index=True
    )


class CaseNote(SQLModel, table=True):
    __tablename__ = "case_note"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(sa_column=_case_id())
    body: str = Field(max_length=5000)
    author: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContactChannel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    SMS = "sms"
    CHAT = "chat"
    IN_PERSON = "in_person"
    OTHER = "other"


class ContactOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    LEFT_MESSAGE = "left_message"
    WRONG_NUMBER = "wrong_number"
    DECLINED = "declined"


class CaseContact(SQLModel, table=True):
    """One attempt to reach the customer; the first one stops the first-contact clock."""

    __tablename__ = "case_contact"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(sa_column=_case_id())
    channel: str = Field(max_length=20)
    outcome: str = Field(max_length=20)
    contacted_at: datetime = Field(sa_type=UTCDateTime)
    note: str = Field(default="", max_length=5000)
    author: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CaseHistory(SQLModel, table=True):
    """Every change to a case: who, when, what (field-level before/after)."""

    __tablename__ = "case_history"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(sa_column=_case_id())
    actor: str = Field(max_length=200)
    action: str = Field(max_length=50)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
