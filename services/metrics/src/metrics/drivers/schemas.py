from enum import StrEnum

from pydantic import BaseModel, Field

from metrics.scores.schemas import Period


class Outcome(StrEnum):
    NPS = "nps"
    CHURN = "churn"


class Quadrant(StrEnum):
    CONCENTRATE_HERE = "concentrate_here"  # important, below its target
    KEEP_UP = "keep_up"  # important, meeting its target
    LOW_PRIORITY = "low_priority"  # less important, below
    POSSIBLE_OVERKILL = "possible_overkill"  # less important, meeting it


class Performance(BaseModel):
    value: float | None = Field(
        description="The touchpoint's score against its target over the period, as a share of "
        "the metric's scale (NPS 200 points, CSAT 100, CES 6): 0 is on target, positive meets "
        "it, negative falls short. With several targets, the one furthest below. Null "
        "without a target (nothing to perform against) or without answers."
    )
    metric: str | None = Field(None, description="The target's metric.")
    score: float | None = Field(None, description="The metric over the period.")
    low: float | None = None
    high: float | None = None
    n: int = Field(description="Answers behind the score.")
    target: float | None = None
    direction: str | None = None
    status: str | None = Field(
        None,
        description="met / breached when the whole interval is on one side of the target (the "
        "target-breach alert's rule), else uncertain.",
    )
    experience: float | None = Field(
        None, description="Mean experience over every answer in the period, -2..+2."
    )


class Driver(BaseModel):
    touchpoint_id: str
    name: str
    journey_id: str
    stage_id: str
    owner_team_id: str | None
    owner_name: str
    n: int = Field(description="Customers in the analysis who answered this touchpoint.")


class RankedDriver(Driver):
    rank: int
    correlation: float | None = Field(
        description="With the outcome: Pearson for NPS (pairwise), point-biserial for churn. "
        "Its sign gives the direction; importance does not."
    )
    importance: float = Field(description="The driver's part of the model's R² (or pseudo-R²).")
    share: float = Field(description="importance / R²: the drivers' shares sum to 1.")
    performance: Performance
    quadrant: Quadrant | None = Field(
        description="Importance above or below an even share (1/number of drivers) against "
        "performance at or above the touchpoint's target or below it: concentrate_here "
        "(important, below target), keep_up (important, meeting it), low_priority (less "
        "important, below), possible_overkill (less important, meeting it). Null without a "
        "target."
    )


class Unranked(Driver):
    needed: int


class Thresholds(BaseModel):
    importance: float | None = Field(description="The quadrant's importance line (share).")
    performance: float | None = Field(description="The quadrant's performance line: 0, the target.")


class DriversRead(BaseModel):
    outcome: Outcome
    period: Period
    basis: str = Field(description="Which customers the analysis rests on.")
    customers: int
    churned: int | None = Field(description="For churn: how many of the customers churned.")
    min_customers: int
    method: str | None = Field(
        description="shapley (15 drivers or fewer), relative_weights (Johnson), or "
        "logistic_relative_weights (churn)."
    )
    r_squared: float | None
    insufficient: str | None = Field(description="Why nothing is ranked, when nothing is.")
    thresholds: Thresholds
    drivers: list[RankedDriver] = Field(description="Most important first.")
    too_little_data: list[Unranked] = Field(
        description="Touchpoints answered by fewer than the minimum customers: not ranked."
    )
