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


class Figures(BaseModel):
    correlation: float | None = Field(
        description="With the outcome, over the customers who answered the touchpoint: Pearson "
        "for NPS, point-biserial for churn. Its sign gives the direction; importance does not."
    )
    correlation_low: float | None = Field(
        description="95% bootstrap interval of the correlation (percentile, resampling "
        "customers). A touchpoint is ranked only when it excludes zero."
    )
    correlation_high: float | None
    importance: float = Field(
        description="The touchpoint's part of its model's R² (or pseudo-R²): the share of the "
        "differences in the outcome between customers that it explains."
    )
    importance_low: float | None = Field(
        description="95% bootstrap interval of the importance (percentile, resampling "
        "customers, the same replicates)."
    )
    importance_high: float | None
    share: float = Field(
        description="importance / the summed importance of every touchpoint analysed (ranked "
        "or not): the shares of all analysed touchpoints sum to 1."
    )


class RankedDriver(Driver, Figures):
    rank: int
    performance: Performance
    quadrant: Quadrant | None = Field(
        description="Importance above or below an even share (1/number of touchpoints "
        "analysed) against performance at or above the touchpoint's target or below it: "
        "concentrate_here (important, below target), keep_up (important, meeting it), "
        "low_priority (less important, below), possible_overkill (less important, meeting it). "
        "Null without a target."
    )


class Reason(StrEnum):
    TOO_FEW_CUSTOMERS = "too_few_customers"
    NO_VARIANCE = "no_variance"
    NO_MODEL = "no_model"
    INTERVAL_INCLUDES_ZERO = "interval_includes_zero"


class Unranked(Driver):
    needed: int = Field(description="The minimum customers a touchpoint needs to be analysed.")
    reason: Reason = Field(
        description="too_few_customers (answered by fewer than `needed`), no_variance (its "
        "scores, or the outcome, are the same for all who answered it), no_model (nothing could "
        "be analysed: see `insufficient`), interval_includes_zero (analysed, but the 95% "
        "bootstrap interval of its correlation with the outcome includes zero: no measurable "
        "link yet)."
    )
    why: str = Field(description="The reason in words.")
    correlation: float | None = Field(None, description="Set for interval_includes_zero.")
    correlation_low: float | None = None
    correlation_high: float | None = None
    importance: float | None = Field(None, description="Set for interval_includes_zero.")
    importance_low: float | None = None
    importance_high: float | None = None
    share: float | None = None


class Thresholds(BaseModel):
    importance: float | None = Field(description="The quadrant's importance line (share).")
    performance: float | None = Field(description="The quadrant's performance line: 0, the target.")


class Model(BaseModel):
    touchpoint_ids: list[str] = Field(description="The touchpoints fitted together.")
    method: str = Field(
        description="shapley (2 to 10 touchpoints), relative_weights (Johnson, more than 10), "
        "squared_correlation (a touchpoint alone) or logistic_relative_weights (churn)."
    )
    customers: int = Field(description="Customers who answered one of its touchpoints.")
    r_squared: float = Field(description="The model's R² (pseudo-R² for churn).")


class TouchpointName(BaseModel):
    touchpoint_id: str
    name: str


class Pair(BaseModel):
    first: TouchpointName
    second: TouchpointName
    shared: int = Field(description="Customers who answered both.")


class DriversRead(BaseModel):
    outcome: Outcome
    period: Period
    basis: str = Field(description="Which customers the analysis rests on.")
    customers: int = Field(
        description="Customers in the analysis: the basis, who answered one "
        "of the touchpoints considered."
    )
    churned: int | None = Field(description="For churn: how many of the customers churned.")
    min_customers: int = Field(description="Customers a touchpoint needs to be analysed.")
    min_shared_customers: int = Field(
        description="Customers two touchpoints need in common to be compared and fitted in one "
        "model."
    )
    replicates: int = Field(description="Bootstrap replicates behind every interval (seeded).")
    method: str | None = Field(
        description="The one model's method (see `models`), or separate_models when not every "
        "pair of touchpoints could be compared."
    )
    r_squared: float | None = Field(
        description="The model's R² (or pseudo-R²) when one model covers every touchpoint "
        "analysed; null with separate models (each has its own in `models`)."
    )
    insufficient: str | None = Field(description="Why nothing is analysed, when nothing is.")
    note: str | None = Field(
        description="What was done, in words, when some pairs of touchpoints could not be compared."
    )
    models: list[Model] = Field(
        description="The models fitted: for NPS, touchpoints are fitted together only when "
        "every pair of them was answered by `min_shared_customers` customers; a group that "
        "fails this is split into touchpoints alone. For churn, one model."
    )
    unpaired: list[Pair] = Field(
        description="Pairs of touchpoints analysed that too few customers answered together "
        "to compare."
    )
    thresholds: Thresholds
    drivers: list[RankedDriver] = Field(
        description="Touchpoints with a measurable link to the outcome (the 95% bootstrap "
        "interval of their correlation excludes zero), most important first."
    )
    too_little_data: list[Unranked] = Field(
        description="Every other touchpoint considered, with the reason it is not ranked. A "
        "touchpoint is in one list or the other."
    )
