from datetime import datetime

from pydantic import BaseModel, Field


class CommentRead(BaseModel):
    response_id: str
    touchpoint_id: str
    survey_id: str
    submitted_at: datetime
    channel: str
    segment: str
    comment: str
    sentiment: float = Field(description="VADER compound score, -1 (negative) to +1.")
    sentiment_label: str = Field(description="negative below -0.05, positive above 0.05.")
    nps: int | None
    csat: int | None
    ces: int | None


class CommentPage(BaseModel):
    items: list[CommentRead]
    next_cursor: str | None


class CommentSummary(BaseModel):
    key: str | None
    label: str
    comments: int
    negative_comments: int
    mean_sentiment: float | None
