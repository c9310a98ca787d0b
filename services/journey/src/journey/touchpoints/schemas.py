from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cxshared.indicators import Indicator
from cxshared.pagination import Page
from cxshared.schemas import ReadBase, WriteBase
from cxshared.types import NOT_BOOLEAN, Email, Identifier, LongText, Name, OptionalName, WholeNumber
from journey.touchpoints.models import Channel, Interaction


class Metric(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"


class Direction(StrEnum):
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


class _TargetBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    direction: Direction = Direction.AT_LEAST
    min_responses: WholeNumber = Field(
        30,
        ge=1,
        le=100_000,
        description="Below this many responses the score is 'too few'.",
    )


class NpsTarget(_TargetBase):
    """NPS, from -100 to 100."""

    metric: Literal[Metric.NPS]
    value: float = Field(ge=-100, le=100, allow_inf_nan=False, examples=[40], strict=True)


class CsatTarget(_TargetBase):
    """CSAT as the top-two-box percentage, 0 to 100."""

    metric: Literal[Metric.CSAT]
    value: float = Field(ge=0, le=100, allow_inf_nan=False, examples=[85], strict=True)


class CesTarget(_TargetBase):
    """CES as the mean score on its 1-7 scale."""

    metric: Literal[Metric.CES]
    value: float = Field(ge=1, le=7, allow_inf_nan=False, examples=[5.5], strict=True)


Target = Annotated[NpsTarget | CsatTarget | CesTarget, Field(discriminator="metric")]
Targets = Annotated[list[Target], Field(max_length=3)]


def _one_per_metric(targets: list[Target] | None) -> None:
    if targets and len({t.metric for t in targets}) != len(targets):
        raise PydanticCustomError("duplicate", "at most one target per metric")


def _distinct(activities: list[str]) -> list[str]:
    if len(set(activities)) != len(activities):
        raise PydanticCustomError("duplicate", "each activity name at most once")
    return activities


ACTIVITY = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}\*?$"
Activities = Annotated[
    list[Annotated[str, StringConstraints(max_length=101, pattern=ACTIVITY)]],
    Field(
        max_length=50,
        description="The activity names that mean 'the customer was at this touchpoint': an "
        "exact name (`order_paid`), or a prefix ending in `*` (`support_*`). An activity "
        "matches the exact name first, else the longest prefix, within each journey; one exact "
        "name belongs to at most one touchpoint of a journey (docs/observed.md).",
        examples=[["order_paid", "payment_*"]],
    ),
    AfterValidator(_distinct),
]


EMOTION = "Designed emotion from -2 to +2; empty when not designed."


class TouchpointCreate(WriteBase):
    name: Name = Field(examples=["Order confirmation email"])
    description: LongText = ""
    channel: Channel = Field(examples=["email"])
    interaction: Interaction = Field(examples=["digital"])
    owner_team_id: Identifier | None = None
    owner_name: OptionalName = Field("", examples=["Priya Shah"])
    owner_email: Email | None = Field(None, examples=["priya@example.com"])
    standard: LongText = Field(
        "",
        description="The experience standard: testable, e.g. 'sent within 2 minutes of payment, "
        "with the delivery date'.",
    )
    moment_of_truth: bool = False
    designed_emotion: Annotated[int, Field(ge=-2, le=2), NOT_BOOLEAN] | None = Field(
        None, description=EMOTION
    )
    targets: Targets = Field(default_factory=list)
    activities: Activities = Field(default_factory=list)
    indicator: Indicator | None = None
    position: Annotated[int, Field(ge=0), NOT_BOOLEAN] | None = Field(
        None, description="Where to insert; default: last."
    )

    @model_validator(mode="after")
    def _targets(self) -> Self:
        _one_per_metric(self.targets)
        return self


class TouchpointUpdate(WriteBase):
    name: Name | None = None
    description: LongText | None = None
    channel: Channel | None = None
    interaction: Interaction | None = None
    owner_team_id: Identifier | None = None
    owner_name: OptionalName | None = None
    owner_email: Email | None = None
    standard: LongText | None = None
    moment_of_truth: bool | None = None
    designed_emotion: Annotated[int, Field(ge=-2, le=2), NOT_BOOLEAN] | None = Field(
        None, description=EMOTION
    )
    targets: Targets | None = None
    activities: Activities | None = None
    indicator: Indicator | None = Field(None, description="null removes it.")

    @model_validator(mode="after")
    def _targets(self) -> Self:
        _one_per_metric(self.targets)
        return self


class TouchpointRead(ReadBase):
    journey_id: str
    stage_id: str
    position: int
    name: str
    description: str
    channel: Channel
    interaction: Interaction
    owner_team_id: str | None
    owner_name: str
    owner_email: str | None
    standard: str
    moment_of_truth: bool
    designed_emotion: int | None
    targets: list[Target]
    activities: list[str]
    indicator: Indicator | None


class TouchpointMove(WriteBase):
    stage_id: Identifier | None = Field(
        None, description="Another stage of the same journey; default: stay in this stage."
    )
    position: WholeNumber = Field(
        ge=0, description="The new 0-based position; past the end means last."
    )


TouchpointPage = Page[TouchpointRead]
