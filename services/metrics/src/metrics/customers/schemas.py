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
        description="Σ over active customers of p(churn | latest NPS category) x annual revenue."
    )
    expected_low: float = Field(
        description="95% interval of `expected`, lower end: the categories' churn-rate "
        "intervals combined by MOVER; a prior rate counts as exact. Equal to `expected` when "
        "every rate is a prior."
    )
    expected_high: float = Field(description="95% interval of `expected`, upper end.")
    flagged: float = Field(description="Annual revenue of active detractors.")
    customers: int = Field(description="Active customers with an NPS answer.")


class RiskGroup(RiskFigures):
    key: str
    revenue: float = Field(description="Annual revenue of the group's active customers.")


class RevenueAtRiskRead(RiskFigures):
    active_revenue: float
    churn_probabilities: dict[str, ChurnProbability]
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
