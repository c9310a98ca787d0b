from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Category = Literal[
    "promoter", "passive", "detractor", "satisfied", "not_satisfied", "agree", "not_agree"
]


class AnswerRead(BaseModel):
    """One completed response as the scores count it."""

    response_id: str
    survey_id: str
    touchpoint_id: str = Field(description="Empty for a relationship survey.")
    respondent_id: str | None
    submitted_at: datetime
    channel: str
    segment: str
    nps: int | None
    csat: int | None
    ces: int | None
    comment: str | None
    sentiment: float | None = Field(description="VADER compound score, -1 (negative) to +1.")


class AnswerPage(BaseModel):
    items: list[AnswerRead]
    total: int = Field(
        description="Every answer the filters select, across all pages: the n of the score "
        "with the same filters (of the category's share of it, with `category`)."
    )
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page."
    )
