from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from cxshared.indicators import Indicator
from cxshared.types import IsoDateTime

ACTIVITY_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$"
# A customer id is the external id customers and responses carry (docs/observed.md): visible
# characters only, no spaces, so that a stray header, a number with a thousands separator or
# a blank cell is refused instead of becoming a customer.
CUSTOMER_ID = r"^[!-~\u00a0-\uffff]{1,200}$"


class ActivityIn(BaseModel):
    """One activity event: something a customer did or met, from an operational system."""

    model_config = ConfigDict(extra="forbid")

    event_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[!-~]+$")] = Field(
        description="The sender's id for the event: a repeat with the same body is ignored, "
        "one with another body is a 409.",
        examples=["evt-0001"],
    )
    customer_id: Annotated[str, Field(pattern=CUSTOMER_ID)] = Field(
        description="The customer's external id (as in POST /v1/customers).", examples=["C-1042"]
    )
    activity: Annotated[str, Field(pattern=ACTIVITY_NAME)] = Field(
        description="What happened; touchpoints map activity names (docs/observed.md).",
        examples=["parcel_delivered"],
    )
    occurred_at: IsoDateTime = Field(
        description="When it happened (ISO 8601; without an offset, UTC). Not in the future.",
        examples=["2026-12-01T09:30:00Z"],
    )
    channel: Annotated[str, Field(max_length=20, pattern=r"^[^\x00]*$")] = ""
    attributes: dict[str, Any] = Field(
        default_factory=dict,
        description='Facts about the event (`{"late_days": 2}`); at most '
        "METRICS_ACTIVITY_ATTRIBUTES_BYTES bytes as JSON.",
    )


class ActivityBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activities: Annotated[list[ActivityIn], Field(min_length=1, max_length=1000)]


class Recorded(BaseModel):
    recorded: int = Field(description="Events stored now.")
    duplicates: int = Field(description="Events stored before with the same body: no change.")
    rollups_stale: bool = Field(
        description="The activity mapping changed since the rollups were built: the events are "
        "stored, and the figures follow once the rollups are rebuilt."
    )


class ImportResult(Recorded):
    read: int = Field(description="Rows read.")


class RebuildReport(BaseModel):
    agree: int
    differ: int
    missing: int
    extra: int
    rebuilt: bool
    events: int
    at: datetime


class Share(BaseModel):
    """A share (percent) with its 95% Wilson interval, the count and what it is a share of."""

    value: float | None = Field(description="Percent; null when n is 0.")
    low: float | None
    high: float | None
    n: int
    count: int


class Durations(BaseModel):
    n: int
    mean_seconds: float | None
    median_seconds: float | None = Field(description="Within 9 % (binned; docs/observed.md).")
    p90_seconds: float | None


class ObservedBase(BaseModel):
    journey_id: str
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    cases: int = Field(description="Cases of the journey that started in the period.")
    segment: str | None = Field(None, description="The segment asked for; null: everyone.")
    rollups_stale: bool = Field(
        description="The mapping changed since the rollups were built; rebuild to follow it."
    )


class TouchpointReach(BaseModel):
    touchpoint_id: str
    name: str
    stage_id: str
    reach: Share = Field(description="Cases that reached the touchpoint, of all cases.")


class ReachRead(ObservedBase):
    touchpoints: list[TouchpointReach]
    first_to_last: Durations = Field(description="From a case's first touchpoint to its last.")


class StageReach(BaseModel):
    stage_id: str
    name: str
    reached: Share
    drop_off: float | None = Field(
        description="The previous stage's share minus this one's, in percentage points."
    )


class FunnelRead(ObservedBase):
    stages: list[StageReach]


class Transition(BaseModel):
    from_touchpoint_id: str
    from_name: str
    to_touchpoint_id: str
    to_name: str
    count: int
    share: Share = Field(description="Of the transitions leaving the `from` touchpoint.")


class Flow(Transition):
    time: Durations = Field(description="Between the two touchpoints.")


class FlowsRead(ObservedBase):
    flows: list[Flow]


class PathRead(BaseModel):
    touchpoint_ids: list[str]
    names: list[str]
    truncated: bool = Field(description="The path was longer than 30 touchpoints.")
    share: Share


class PathsRead(ObservedBase):
    variants: int = Field(description="Distinct paths in the period.")
    paths: list[PathRead]


class Loop(BaseModel):
    touchpoint_id: str
    name: str
    cases: Share = Field(
        description="Cases that came back within the window, of those reaching it."
    )
    repeats: int = Field(description="Returns within the window, in all cases.")


class LoopsRead(ObservedBase):
    loop_window_days: int
    loops: list[Loop]


class Unreached(BaseModel):
    touchpoint_id: str
    name: str
    stage_id: str
    mapped: bool = Field(description="False: no activity is mapped to it, so none can reach it.")


class Place(BaseModel):
    after_touchpoint_id: str | None = Field(description="The touchpoint just before; null: first.")
    after_name: str | None
    before_touchpoint_id: str | None = Field(description="The touchpoint just after; null: last.")
    before_name: str | None
    occurrences: int


class UnmappedActivity(BaseModel):
    activity: str
    occurrences: int
    cases: Share = Field(description="Cases with the activity, of all cases.")
    where: list[Place] = Field(description="The five most common places in the flow.")


class DifferencesRead(ObservedBase):
    unreached_touchpoints: list[Unreached]
    unmapped_activities: list[UnmappedActivity]
    unexpected_transitions: list[Transition] = Field(
        description="Frequent transitions between touchpoints that are not next to each other "
        "on the map (the map's order: stages, then touchpoints, by position)."
    )


class StandardDay(BaseModel):
    day: date
    met: int
    missed: int


class ErrorBudget(BaseModel):
    allowed: float = Field(
        description="Occasions the objective lets miss: (1 - objective) times n."
    )
    used: int = Field(description="Occasions that missed.")
    left: float = Field(description="allowed - used; below 0 the period's objective is missed.")


class StandardCompliance(BaseModel):
    touchpoint_id: str
    name: str
    indicator: dict[str, Any] = Field(description="As journey describes it.")
    objective: float = Field(description="Percent of occasions that must meet the standard.")
    compliance: Share = Field(description="Occasions that met the standard, of all occasions.")
    status: str = Field(
        description="`met` (compliance at or above the objective), `breached` (below it) or "
        "`no_data` (no occasion in the period)."
    )
    certain: bool = Field(
        description="The 95 % interval lies wholly on the status's side of the objective."
    )
    error_budget: ErrorBudget
    days: list[StandardDay] = Field(description="Each day with an occasion, oldest first.")


class StandardsRead(BaseModel):
    journey_id: str
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    segment: str | None = None
    rollups_stale: bool
    standards: list[StandardCompliance]


class StandardPreview(BaseModel):
    """An indicator judged before it is saved, from the stored events."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    indicator: Indicator
    start: date | None = Field(None, alias="from", description="Default: 29 days before `to`.")
    end: date | None = Field(None, alias="to", description="Default: today (UTC).")


class StandardPreviewRead(BaseModel):
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    objective: float
    compliance: Share
    status: str
    certain: bool
    error_budget: ErrorBudget


class Estimated(BaseModel):
    value: float | None = Field(description="null when n is 0.")
    low: float | None
    high: float | None
    n: int


class CostGroup(BaseModel):
    customers: int = Field(description="Customers with an occasion in the period in this group.")
    nps: Estimated = Field(description="Their NPS answers on the journey's touchpoints.")
    csat: Estimated = Field(description="Their CSAT answers: percent 4 or 5 of 5.")
    churn: Estimated = Field(
        description="Percent churned since the period began, of those whose outcome is known "
        "(a customer record)."
    )


class StandardCost(BaseModel):
    touchpoint_id: str
    name: str
    indicator: dict[str, Any]
    met: CostGroup = Field(description="Customers whose every occasion met the standard.")
    missed: CostGroup = Field(description="Customers with at least one occasion that missed it.")
    nps_gap: float | None = Field(description="NPS of `met` minus NPS of `missed`, in points.")
    csat_gap: float | None = Field(description="CSAT of `met` minus `missed`, in points.")
    churn_gap: float | None = Field(description="Churn of `missed` minus `met`, in points.")


class StandardCostsRead(BaseModel):
    journey_id: str
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    segment: str | None = None
    standards: list[StandardCost]
