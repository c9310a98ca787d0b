from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cxshared.problems import field_error
from cxshared.types import NOT_BOOLEAN, Email, IsoDateTime, ShortText
from feedback.cases.models import (
    CaseSource,
    CaseState,
    ContactChannel,
    ContactOutcome,
    Priority,
    RuleKind,
)

Text = Annotated[str, Field(max_length=5000, pattern=r"^[^\x00]*$")]
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*\S[^\x00]*$")]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
RespondentId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
# The bounds before the boolean check: so they are published as JSON Schema's minimum/maximum.
Score = Annotated[int, Field(ge=0, le=100), NOT_BOOLEAN]
Keyword = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00]*\S[^\x00]*$")]
Threshold = Annotated[
    float,
    Field(
        ge=-1,
        le=1,
        strict=True,
        description="Sentiment kind: a comment scoring below this (-1 ... +1) meets the rule; "
        "none: -0.05, where a comment reads negative.",
    ),
]

SCORE_KINDS = {RuleKind.NPS, RuleKind.CSAT, RuleKind.CES, RuleKind.RATING}


class RuleCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Very unhappy", "kind": "nps", "max_value": 3, "priority": "high"},
                {
                    "name": "Damaged parcel",
                    "survey_id": "0193a1c2-7d4e-7b1a-9c3e-2f1d5e6a7b8c",
                    "kind": "option",
                    "question": "topics",
                    "option": "damaged",
                },
                {"name": "Refund", "kind": "keyword", "keywords": ["refund", "cancel"]},
                {"name": "Angry comment", "kind": "sentiment", "threshold": -0.5},
            ]
        },
    )

    name: Title
    survey_id: Id | None = Field(None, description="None: a global rule.")
    kind: RuleKind
    question: Id | None = Field(None, description="A question key; none: every such question.")
    min_value: Score | None = Field(None, description="Score kinds: the answer is at least this.")
    max_value: Score | None = Field(None, description="Score kinds: the answer is at most this.")
    option: ShortText | None = Field(None, description="Option kind: the choice's value.")
    keywords: Annotated[list[Keyword], Field(max_length=50)] = []
    threshold: Threshold | None = None
    priority: Priority = Priority.NORMAL
    enabled: bool = True


def check_condition(
    kind: RuleKind,
    low: int | None,
    high: int | None,
    option: str | None,
    keywords: list[str],
    threshold: float | None,
) -> None:
    """A rule's condition must say something: a 422 naming the field that is missing."""
    problem = None
    if kind in SCORE_KINDS and low is None and high is None:
        problem = ("max_value", "a score rule needs min_value or max_value")
    elif low is not None and high is not None and low > high:
        problem = ("min_value", "min_value is above max_value")
    elif kind == RuleKind.OPTION and not option:
        problem = ("option", "an option rule needs option")
    elif kind == RuleKind.KEYWORD and not keywords:
        problem = ("keywords", "a keyword rule needs keywords")
    elif kind != RuleKind.SENTIMENT and threshold is not None:
        problem = ("threshold", "only a sentiment rule has a threshold")
    if problem is not None:
        raise field_error(*problem, "invalid_condition")


class RuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"enabled": False}]})

    name: Title | None = None
    question: Id | None = None
    min_value: Score | None = None
    max_value: Score | None = None
    option: ShortText | None = None
    keywords: Annotated[list[Keyword], Field(max_length=50)] | None = None
    threshold: Threshold | None = None
    priority: Priority | None = None
    enabled: bool | None = None


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    survey_id: str | None
    kind: RuleKind
    question: str | None
    min_value: int | None
    max_value: int | None
    option: str | None
    keywords: list[str]
    threshold: float | None = Field(description="Sentiment kind; none: -0.05.")
    priority: Priority
    enabled: bool
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str


class RulePage(BaseModel):
    items: list[RuleRead]
    next_cursor: str | None = None


class CaseCreate(BaseModel):
    """A case opened by hand: from a response, or for a customer (a support ticket, say, or
    outreach to a customer at risk of churning)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Ticket 4711: parcel left in the rain",
                    "respondent_external_id": "cust-1042",
                    "touchpoint_id": "tp-courier",
                    "priority": "high",
                },
                {
                    "title": "Follow up this answer",
                    "response_id": "0193a1c2-7d4e-7b1a-9c3e-2f1d5e6a7b8c",
                },
                {
                    "title": "At risk: €12,400 a year, detractor since 12 Oct",
                    "source": "outreach",
                    "respondent_external_id": "cust-1042",
                    "priority": "high",
                },
            ]
        },
    )

    title: Title
    description: Text = ""
    source: Literal[CaseSource.MANUAL, CaseSource.OUTREACH] = Field(
        CaseSource.MANUAL,
        description="outreach: reaching out to a customer at risk; needs the customer, who has "
        "at most one active outreach case: while one is, the same request answers 200 with it.",
    )
    response_id: Id | None = Field(None, description="The response the case is about.")
    respondent_external_id: RespondentId | None = Field(
        None, description="The customer (taken from the response when one is given)."
    )
    touchpoint_id: Id | None = Field(None, description="Routes the case to its owner.")
    priority: Priority = Priority.NORMAL
    assignee_email: Email | None = Field(None, description="None: routed to the owner.")
    assignee_name: ShortText = ""
    opened_at: IsoDateTime | None = Field(
        None,
        description="When the customer raised it, e.g. the ticket's own time: the SLA clocks "
        "run from it (a time to come counts as now). None: now.",
    )


class CaseUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"state": "in_progress"},
                {"assignee_email": "ana.ruiz@example.com", "assignee_name": "Ana Ruiz"},
                {
                    "state": "resolved",
                    "resolution": "Refunded the delivery fee.",
                    "root_cause_id": "rc-1",
                },
            ]
        },
    )

    title: Title | None = None
    description: Text | None = None
    state: CaseState | None = None
    priority: Priority | None = None
    assignee_email: Email | None = None
    assignee_name: ShortText | None = None
    assignee_team_id: Id | None = None
    root_cause_id: Id | None = None
    resolution: Text | None = None


class ClockRead(BaseModel):
    target_seconds: float
    used_seconds: float
    due_at: datetime | None = Field(description="None while the clock stands still.")
    running: bool
    stopped: bool = Field(description="Met: first contact made, or the case resolved.")
    at_risk: bool = Field(description="80 % of the time used and not yet met.")
    breached: bool


class Assignee(BaseModel):
    email: str | None
    name: str
    team_id: str | None
    team_name: str | None
    routed: bool


class CaseRead(BaseModel):
    id: str
    version: int
    source: CaseSource
    rule: dict[str, Any] | None
    response_id: str | None
    survey_id: str | None
    touchpoint_id: str | None
    touchpoint_name: str | None
    journey_id: str | None
    journey_name: str | None
    respondent_external_id: str | None
    title: str
    description: str
    reason: str
    priority: Priority
    state: CaseState
    assignee: Assignee
    root_cause: dict[str, Any] | None
    resolution: str
    recovered: bool | None = Field(
        description="The follow-up's verdict: null until the customer answers it."
    )
    follow_up: "FollowUpState"
    opened_at: datetime
    first_contact_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sla: dict[str, ClockRead]
    at_risk: bool
    breached: bool
    updated_by: str


class CasePage(BaseModel):
    items: list[CaseRead]
    next_cursor: str | None = None


class CaseCounts(BaseModel):
    mine: int = Field(description="Active cases assigned to the person.")
    team: int = Field(description="Active cases of the teams they lead or own touchpoints for.")
    unassigned: int = Field(description="Active cases with nobody assigned.")
    breached: int = Field(description="Their active cases past an SLA.")
    at_risk: int = Field(description="Their active cases with 80 % of an SLA used.")


class NoteCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"body": "Called, will call back Monday."}]}
    )

    body: Annotated[str, Field(min_length=1, max_length=5000, pattern=r"^[^\x00]*\S[^\x00]*$")]


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    body: str
    author: str
    created_at: datetime


class ContactCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"channel": "phone", "outcome": "reached", "note": "Apologised."}]
        },
    )

    channel: ContactChannel
    outcome: ContactOutcome
    contacted_at: IsoDateTime | None = Field(
        None, description="Default: now; never later than now."
    )
    note: Text = ""


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    channel: ContactChannel
    outcome: ContactOutcome
    contacted_at: datetime
    note: str
    author: str
    created_at: datetime


class HistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    actor: str
    action: str
    changes: dict[str, Any]
    at: datetime


class RootCauseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Courier late", "journey_id": "j-delivery"}]},
    )

    name: Title
    journey_id: Id | None = Field(None, description="None: offered for every journey.")


class RootCauseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    journey_id: str | None
    active: bool
    version: int


class FollowUpState(BaseModel):
    sent_at: datetime | None
    answered_at: datetime | None
    score: int | None


class FollowUpMetric(BaseModel):
    """The question that opened the case, asked again."""

    key: str
    type: str
    prompt: str
    min: int
    max: int


class FollowUpCreated(BaseModel):
    case_id: str
    token: str
    link: str = Field(
        description="The gateway's page for the customer; e-mail sending comes later, so "
        "staff send it themselves.",
        examples=["/f/Xq3v9s0YpQ2m7Lk1aB4cDw"],
    )
    expires_at: datetime
    question: str
    metric: FollowUpMetric | None


class FollowUpAnswer(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"put_right": True, "score": 9}, {"put_right": False, "score": 4}]
        },
    )

    put_right: bool = Field(description="Did we put this right?")
    score: Annotated[int, Field(ge=0, le=10), NOT_BOOLEAN] | None = Field(
        None, description="The original metric again (required when the link asks it)."
    )


class FollowUpAnswered(BaseModel):
    put_right: bool | None
    score: int | None
    recovered: bool | None
    answered_at: datetime | None


class PublicFollowUp(BaseModel):
    """What the customer's page shows: the questions, or the answer already given."""

    status: str = Field(examples=["open"], description="open, answered or expired")
    title: str
    question: str
    metric: FollowUpMetric | None
    expires_at: datetime | None
    answer: FollowUpAnswered | None
