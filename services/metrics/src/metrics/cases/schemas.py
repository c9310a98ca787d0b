from typing import Annotated

from pydantic import BaseModel, Field


class Assignee(BaseModel):
    team_id: Annotated[str, Field(max_length=64)] | None = None
    team_name: Annotated[str, Field(max_length=200)] | None = None


class Clock(BaseModel):
    target_seconds: float
    used_seconds: float
    stopped: bool
    breached: bool


class FollowUp(BaseModel):
    sent_at: str | None = None
    answered_at: str | None = None


class CaseData(BaseModel):
    """What every `case.*` event carries (the fields the figures use)."""

    case_id: Annotated[str, Field(min_length=1, max_length=64)]
    version: int = 0
    respondent_external_id: Annotated[str, Field(max_length=200)] | None = None
    journey_id: Annotated[str, Field(max_length=64)] | None = None
    journey_name: Annotated[str, Field(max_length=200)] | None = None
    touchpoint_id: Annotated[str, Field(max_length=64)] | None = None
    touchpoint_name: Annotated[str, Field(max_length=200)] | None = None
    assignee: Assignee = Field(default_factory=Assignee)
    priority: Annotated[str, Field(max_length=20)] = ""
    state: Annotated[str, Field(max_length=30)] = ""
    opened_at: str
    sla: dict[str, Clock]
    recovered: bool | None = None
    follow_up: FollowUp = Field(default_factory=FollowUp)


class Figure(BaseModel):
    """A share (percent) with its 95% Wilson interval and the count behind it."""

    value: float | None = Field(description="Percent; null with no cases to count.")
    low: float | None
    high: float | None
    n: int = Field(description="Cases (or customers) the share is of.")
    count: int = Field(description="Cases (or customers) counted in the share.")


class Durations(BaseModel):
    """SLA hours (paused while waiting on the customer) of the cases whose clock stopped."""

    median_hours: float | None
    p90_hours: float | None
    n: int


class CaseFigures(BaseModel):
    key: str | None = Field(description="The group's id (null overall; '' for none).")
    name: str = ""
    opened: int
    time_to_first_contact: Durations
    time_to_resolution: Durations
    first_contact_sla: Figure = Field(
        description="Cases first contacted within the SLA, of those whose first-contact clock "
        "is decided (contacted, or breached)."
    )
    resolution_sla: Figure = Field(
        description="Cases resolved within the SLA, of those whose resolution clock is decided "
        "(resolved, or breached)."
    )
    follow_ups_sent: int
    recovery: Figure = Field(description="Recovered, of the follow-ups answered.")


class ChurnLine(BaseModel):
    group: str = Field(examples=["recovered"])
    label: str
    churn: Figure


class ChurnAssociation(BaseModel):
    note: str
    rule: str
    lines: list[ChurnLine]


class CaseFiguresRead(BaseModel):
    period: dict[str, str | None]
    overall: CaseFigures
    groups: list[CaseFigures]
    by: str | None
    churn: ChurnAssociation
