from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cxshared.types import WholeNumber
from feedback.fatigue.models import RuleKind
from feedback.responses.schemas import Channel, Respondent


class RuleCreate(BaseModel):
    """`once_per_days`: ask a person at most once per `days`, whatever the survey or channel.
    `max_per_days`: at most `max_count` surveys per `days`."""

    model_config = ConfigDict(extra="forbid")

    kind: RuleKind
    days: WholeNumber = Field(ge=1, le=3650, examples=[14])
    max_count: WholeNumber = Field(1, ge=1, le=100)

    @model_validator(mode="after")
    def _once_means_one(self) -> Self:
        if self.kind == RuleKind.ONCE_PER_DAYS:
            self.max_count = 1
        return self


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: RuleKind
    days: int
    max_count: int
    created_at: datetime


class Blocked(BaseModel):
    rule: str = Field(
        description="unsubscribed (the person stopped all survey mail), survey_once_per_days, "
        "once_per_days or max_per_days."
    )
    rule_id: str | None = Field(description="The global rule's id; null for the survey's own.")
    detail: str
    until: datetime | None = Field(
        description="When the person may be asked again; null: not until they ask for it "
        "(unsubscribed)."
    )


class Eligibility(BaseModel):
    eligible: bool
    blocked_by: list[Blocked] = Field(
        description="Every rule that says no: unsubscribed first, then latest `until` first."
    )


class Shown(BaseModel):
    model_config = ConfigDict(extra="forbid")

    respondent: Respondent
    channel: Channel = Channel.WEB


class ShownResult(BaseModel):
    recorded: Literal[True] = True
