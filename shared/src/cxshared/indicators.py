"""A touchpoint's experience standard made measurable: an indicator judged on customers'
activity events (docs/observed.md, "Experience standards"). Journey keeps it with the
standard; metrics judges it, and previews one before it is saved."""

from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
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

from cxshared.types import NOT_BOOLEAN

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
            raise PydanticCustomError("not_comparable", "lt, le, gt and ge compare numbers only")
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
