from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictStr,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

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


ActivityName = Annotated[
    str, StringConstraints(max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$")
]
Objective = Annotated[
    float,
    Field(
        gt=0,
        le=1,
        allow_inf_nan=False,
        strict=True,
        description="The share of occasions that must meet the standard, e.g. 0.95.",
        examples=[0.95],
    ),
    NOT_BOOLEAN,
]
WithinSeconds = Annotated[
    int, Field(ge=1, le=90 * 86_400, description="At most this long (seconds)."), NOT_BOOLEAN
]


class _IndicatorBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    objective: Objective
    declared_activities: list[ActivityName] = Field(
        default_factory=list,
        max_length=10,
        description="Activity names this indicator uses that no touchpoint of the journey maps "
        "(e.g. `confirmation_email_sent`): declared here, they are accepted; any other name "
        "must match the journey's mapping.",
    )


class TimeBetween(_IndicatorBase):
    """Each `from_activity` is followed by `to_activity`, for the same customer, within
    `within_seconds`: `order_paid` → `confirmation_email_sent` within 120 s."""

    kind: Literal["time_between"]
    from_activity: ActivityName
    to_activity: ActivityName
    within_seconds: WithinSeconds


class Operator(StrEnum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"


class AttributeCondition(_IndicatorBase):
    """Each `activity` carries `attribute` meeting the condition: `parcel_delivered` where
    `late_days` eq 0. A missing attribute misses the standard."""

    kind: Literal["attribute"]
    activity: ActivityName
    attribute: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    operator: Operator = Operator.EQ
    value: Annotated[
        StrictBool | StrictFloat | Annotated[StrictStr, StringConstraints(max_length=200)],
        Field(union_mode="left_to_right", examples=[0]),
    ]

    @model_validator(mode="after")
    def _comparable(self) -> Self:
        ordering = self.operator not in (Operator.EQ, Operator.NE)
        if ordering and (isinstance(self.value, bool) or not isinstance(self.value, float)):
            raise PydanticCustomError("operator", "lt, le, gt and ge compare numbers only")
        return self


class NotNeeded(_IndicatorBase):
    """After `after_activity`, the customer did not need `activity` within `within_seconds`:
    no `support_call` within 7 days of `parcel_delivered`."""

    kind: Literal["not_needed"]
    after_activity: ActivityName
    activity: ActivityName
    within_seconds: WithinSeconds


Indicator = Annotated[
    TimeBetween | AttributeCondition | NotNeeded,
    Field(
        discriminator="kind",
        description="The standard's measurable indicator, checked on activity events "
        "(docs/observed.md, 'Experience standards'): its activities must match the journey's "
        "mapping or be declared.",
    ),
]


def indicator_activities(indicator: dict[str, Any]) -> list[str]:
    """The activity names an indicator (as stored) uses."""
    names = ("from_activity", "to_activity", "activity", "after_activity")
    return [indicator[n] for n in names if indicator.get(n)]


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
