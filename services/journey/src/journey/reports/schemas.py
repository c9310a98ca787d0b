from datetime import date

from pydantic import BaseModel, Field


class TouchpointRef(BaseModel):
    touchpoint_id: str
    touchpoint_name: str
    journey_id: str
    journey_name: str
    stage_id: str
    stage_name: str


class OwnershipGap(TouchpointRef):
    missing: list[str] = Field(description="owner_team and/or named_owner.")


class Handoff(BaseModel):
    journey_id: str
    journey_name: str
    from_touchpoint: TouchpointRef
    to_touchpoint: TouchpointRef
    from_team_id: str
    from_team_name: str
    to_team_id: str
    to_team_name: str


class OwnerLoad(BaseModel):
    owner_team_id: str | None
    owner_team_name: str | None
    owner_name: str
    touchpoints: int
    moments_of_truth: int


class OwnershipReport(BaseModel):
    gaps: list[OwnershipGap]
    handoffs: list[Handoff] = Field(
        description="Consecutive touchpoints of a journey (in stage, then touchpoint order) "
        "whose owner teams differ."
    )
    per_owner: list[OwnerLoad]
    left_out: list[str] = Field(
        default_factory=list,
        description="Draft and future-state journeys not reported (ask with include_drafts).",
    )


class OverdueReview(BaseModel):
    journey_id: str
    journey_name: str
    owner_name: str
    owner_email: str | None
    last_reviewed_date: date | None
    due_date: date
    days_overdue: int


class ReviewsReport(BaseModel):
    as_of: date
    overdue: list[OverdueReview]
    left_out: list[str] = Field(
        default_factory=list,
        description="Draft and future-state journeys not reported (ask with include_drafts).",
    )


class StandardGap(TouchpointRef):
    missing: list[str] = Field(description="standard and/or target.")


class StandardsReport(BaseModel):
    gaps: list[StandardGap]
    left_out: list[str] = Field(
        default_factory=list,
        description="Draft and future-state journeys not reported (ask with include_drafts).",
    )
