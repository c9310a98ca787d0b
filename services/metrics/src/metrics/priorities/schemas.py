from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from cxshared.types import WholeNumber

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class PriorityItem(BaseModel):
    """One opportunity (or any piece of work) to prioritise, by where it is."""

    id: Identifier = Field(description="The caller's id for it, returned as given.")
    touchpoint_ids: list[Identifier] = Field(
        max_length=200,
        description="The touchpoints it is at: one, or every touchpoint of a stage.",
    )
    effort: WholeNumber = Field(ge=0, le=5, description="0 (trivial) to 5 (very large).")


class PriorityQuery(BaseModel):
    journey_id: Identifier
    items: list[PriorityItem] = Field(max_length=500)
    days: WholeNumber = Field(365, ge=28, le=730, description="The period measured, ending today.")


class ThemeCost(BaseModel):
    theme_id: str
    name: str
    points: float = Field(
        description="NPS points the touchpoint gains if its detractors "
        "mentioning the theme were passives."
    )


class Priority(BaseModel):
    id: str
    measured: bool = Field(
        description="False when no NPS answer was given at its touchpoints in the period: "
        "the caller's hand-set values then stand, and `priority` is null."
    )
    priority: float | None = Field(
        description="(customer_value + business_value) / 2 / (1 + effort), 0-100."
    )
    customer_value: int | None = Field(
        description="The share of the period's NPS answers at its touchpoints given by "
        "detractors, in percent."
    )
    business_value: int | None = Field(
        description="Its share of the journey's revenue at risk from detractors, in percent."
    )
    answers: int = Field(description="NPS answers at its touchpoints in the period.")
    detractors: int = Field(description="Of those, detractors (0-6).")
    customers: int = Field(
        description="Active customers whose latest NPS answer was given at its touchpoints."
    )
    detractor_customers: int
    revenue_at_risk: float = Field(
        description="p(churn | detractor) x the annual revenue of those detractor customers."
    )
    themes: list[ThemeCost] = Field(description="Its comment themes, costliest first (3 at most).")
    effort: int
    explanation: str = Field(description="The parts of the priority, in words.")


class PrioritiesRead(BaseModel):
    journey_id: str
    start: str
    end: str
    currency: str
    journey_revenue_at_risk: float = Field(
        description="The same revenue at risk over all of the journey's touchpoints."
    )
    items: list[Priority]
