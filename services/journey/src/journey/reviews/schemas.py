from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints

from cxshared.pagination import Page
from cxshared.schemas import ReadBase, WriteBase
from cxshared.types import IsoDate

ReasonKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Decision = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class ReviewCreate(WriteBase):
    """Posted to the journey reviewed."""

    decision: Decision = Field(
        description="What the review decided: what changes, or why the map stays.",
        examples=["Returns stage re-owned to Logistics; label step to be redesigned."],
    )
    acknowledged: list[ReasonKey] = Field(
        default_factory=list,
        max_length=500,
        description="The keys of the review signals (metrics, GET /v1/review-signals) this "
        "review dealt with: they no longer flag the journey. A reason not listed here keeps "
        "flagging it.",
    )
    reviewed_on: IsoDate | None = Field(
        None, description="The day of the review (default today, UTC); never in the future."
    )


class ReviewRead(ReadBase):
    journey_id: str
    reviewed_on: date
    decision: str
    acknowledged: list[str]


ReviewPage = Page[ReviewRead]
