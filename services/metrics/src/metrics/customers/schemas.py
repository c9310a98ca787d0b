from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from cxshared.types import IsoDate

ExternalId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*\S[^\x00]*$")]


class CustomerWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId = Field(description="The respondent external id responses carry.")
    name: Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")] = ""
    segment: Annotated[str, Field(max_length=100, pattern=r"^[^\x00]*$")] = ""
    annual_revenue: float = Field(0, ge=0, le=1e12, allow_inf_nan=False, strict=True)
    start_date: IsoDate | None = None
    churn_date: IsoDate | None = Field(None, description="When they left; empty while active.")


class CustomerRead(CustomerWrite):
    model_config = ConfigDict(from_attributes=True)


class CustomerBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customers: Annotated[list[CustomerWrite], Field(min_length=1, max_length=1000)]


class Upserted(BaseModel):
    created: int
    updated: int


class Segment(BaseModel):
    key: str = Field(description="As customers and answers carry it; filters match any case.")
    customers: int = Field(description="Customer records in it (0: known from answers only).")


class SegmentList(BaseModel):
    items: list[Segment]


class ChurnProbability(BaseModel):
    p: float = Field(description="The annual churn probability used for the category.")
    low: float | None = Field(
        description="95% Wilson interval of an observed rate; null for a prior (an assumption)."
    )
    high: float | None
    source: Literal["observed", "prior"] = Field(
        description="observed once at least the minimum customers back the rate, else prior."
    )
    n: int = Field(description="Customers whose latest NPS answer is in the category.")


class RiskFigures(BaseModel):
    expected: float = Field(
        description="Σ over active customers of p(churn) x annual revenue, p from the churn "
        "model when `method` is model, else the churn rate of the customer's latest NPS "
        "category."
    )
    expected_low: float = Field(
        description="95% interval of `expected`, lower end. Category rates: their intervals "
        "combined by MOVER; a prior rate counts as exact (equal to `expected` when every rate "
        "is a prior). Model: the delta method over the uncertainty of its coefficients."
    )
    expected_high: float = Field(description="95% interval of `expected`, upper end.")
    flagged: float = Field(description="Annual revenue of active detractors.")
    customers: int = Field(description="Active customers with an NPS answer.")


class RiskGroup(RiskFigures):
    key: str
    revenue: float = Field(description="Annual revenue of the group's active customers.")


Method = Literal["model", "category_rates"]
METHOD = (
    "model: the churn model's probability for each customer (it beats the category rates on "
    "held-out customers); category_rates: the churn rate of their latest NPS category."
)


class RevenueAtRiskRead(RiskFigures):
    method: Method = Field(description=METHOD)
    method_reason: str = Field(description="Why this method: the churn model's verdict.")
    as_of: datetime = Field(
        description="When the figures were computed: the model's fit (redone once the data "
        "changed and it is older than METRICS_CHURN_MODEL_REFIT_SECONDS), or now."
    )
    active_revenue: float
    churn_probabilities: dict[str, ChurnProbability] = Field(
        description="The category rates, used or (with the model) shown for reference."
    )
    groups: list[RiskGroup]
    currency: str
    period: Literal["year"]
    rule: dict[str, str]


class ClvInputs(BaseModel):
    average_annual_revenue: float | None = Field(
        description="Of active customers (in the segment); null when there are none."
    )
    margin_rate: float
    annual_margin: float | None
    retention: float
    retention_low: float | None = Field(
        description="95% Wilson interval of an observed retention; null when set or a prior."
    )
    retention_high: float | None
    retention_source: Literal["observed", "setting", "prior"]
    retention_basis_customers: int = Field(
        description="Customers active a year ago, the observed retention's n."
    )
    discount_rate: float
    customers: int = Field(description="Active customers the average revenue is taken over.")
    segment: str | None


class ClvRead(BaseModel):
    value: float | None = Field(
        description="annual margin x retention / (1 + discount - retention); null when "
        "`missing` says why."
    )
    low: float | None = Field(
        description="95% interval from the observed retention's interval (the value rises "
        "with retention); null when retention is set or a prior, `high` null when unbounded."
    )
    high: float | None
    missing: Literal["no_customers", "unbounded"] | None = Field(
        description="no_customers: no active customers (in the segment), so no value rather "
        "than 0; unbounded: retention 100% with no discount."
    )
    formula: str
    inputs: ClvInputs
    currency: str


class ChurnFeature(BaseModel):
    key: str = Field(
        description="nps, detractor, passive, nps_change, nps_gap, first_nps, tenure, "
        "tenure_unknown, revenue, touchpoint:<id>, skipped:<id> or segment:<segment>."
    )
    name: str = Field(description="In plain words.")
    group: str = Field(description="The input it belongs to; reasons add up a group.")
    customers: int = Field(description="Customers with a value (the rest are filled in).")
    mean: float | None = Field(description="Of the customers with a value, in its own unit.")
    sd: float | None = Field(description="Standard deviation, in its own unit.")
    coefficient: float | None = Field(
        description="Log-odds of churn per standard deviation (inputs are standardised), from "
        "the model fitted on every customer; null when no model was fitted."
    )
    odds_ratio: float | None = Field(
        description="exp(coefficient): how the odds of churn change per standard deviation."
    )


class LeftOutTouchpoint(BaseModel):
    touchpoint_id: str
    name: str
    n: int = Field(description="Customers who answered it, fewer than the minimum.")


class CalibrationBin(BaseModel):
    customers: int
    predicted: float = Field(description="Mean churn probability the model gave them.")
    observed: float | None = Field(description="Share of them who churned.")
    observed_low: float | None = Field(description="95% Wilson interval of `observed`.")
    observed_high: float | None


class ChurnValidation(BaseModel):
    training: int = Field(description="Customers the model was fitted on (70%, stratified).")
    held_out: int = Field(description="Customers it was checked on (30%).")
    held_out_churned: int
    brier_model: float = Field(description="Mean (p - outcome)² of the model, held out.")
    brier_baseline: float = Field(
        description="The same for the category rates of the training customers."
    )
    brier_difference: float = Field(description="brier_baseline - brier_model.")
    brier_difference_low: float = Field(
        description="95% paired-bootstrap interval of the difference (customers resampled, "
        "`replicates` times, seeded); the model is used only when this end is above 0."
    )
    brier_difference_high: float
    replicates: int
    skill_score: float | None = Field(description="1 - brier_model / brier_baseline.")
    auc_model: float = Field(description="Area under the ROC curve, held out.")
    auc_baseline: float
    calibration_intercept: float = Field(
        description="Of the outcome regressed on the model's log-odds: 0 when calibrated."
    )
    calibration_slope: float = Field(
        description="1 when calibrated; below 1, the model spreads customers too far apart."
    )
    mean_predicted: float
    observed_rate: float
    calibration: list[CalibrationBin] = Field(
        description="Held-out customers in equal bins by the model's probability (up to 10, "
        "30 or more each)."
    )


class ChurnMinimum(BaseModel):
    customers: int
    churned: int
    stayed: int


class ChurnModelRead(BaseModel):
    in_use: bool = Field(
        description="Revenue at risk and the at-risk list use the model (else category rates)."
    )
    decision: Literal["in_use", "not_better", "too_little_data", "fitting"] = Field(
        description="fitting: the first fit is being made (the category rates are used "
        "meanwhile; the figures below are null until it is ready)."
    )
    reason: str = Field(description="The decision in words, with the held-out figures.")
    label: str = Field(description="The outcome the model forecasts.")
    baseline: str = Field(description="What the model must beat.")
    minimum: ChurnMinimum = Field(description="Below these no model is fitted.")
    customers: int | None = Field(description="Customers with a record and an NPS answer.")
    churned: int | None
    follow_up_incomplete: int | None = Field(
        description="Customers counted as staying whose year after the latest NPS answer is not "
        "over yet: like the category rates, the model reads them as they stand."
    )
    features: list[ChurnFeature] = Field(
        description="The model's inputs, strongest first when a model was fitted."
    )
    touchpoints_left_out: list[LeftOutTouchpoint] = Field(
        description="Touchpoints answered by fewer than the minimum customers: not inputs."
    )
    regularisation_c: float | None = Field(
        description="Inverse strength of the L2 penalty, chosen by 5-fold cross-validation."
    )
    validation: ChurnValidation | None = Field(description="Null when no model was fitted.")
    fitted_at: datetime | None
    seconds: float | None = Field(description="How long gathering, fitting and checking took.")


class RiskReason(BaseModel):
    words: str
    odds_ratio: float | None = Field(
        description="How much this input multiplies the customer's churn odds against an "
        "average customer's (model); null with the category rates."
    )


class AtRiskCustomer(BaseModel):
    external_id: str
    name: str
    segment: str
    annual_revenue: float
    p: float = Field(description="Probability of churning within the year.")
    expected_loss: float = Field(description="p x annual revenue.")
    latest_nps: int
    category: Literal["promoter", "passive", "detractor"]
    answered_at: datetime = Field(description="When the latest NPS answer was given.")
    reasons: list[RiskReason] = Field(
        description="Model: up to 3 inputs that raise the odds by 25% or more and read as a "
        "risk (an NPS answer or experience below the average, an NPS answer that fell), "
        "strongest first; category rates: the latest NPS category and its rate."
    )


class AtRiskPage(BaseModel):
    items: list[AtRiskCustomer]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page."
    )
    method: Method = Field(description=METHOD)
    method_reason: str
    as_of: datetime
    currency: str
