from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlmodel import col

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.pagination import PageParams, encode_cursor, page_params
from metrics.answers import service as answers
from metrics.comments.sentiment import NEGATIVE_BELOW, POSITIVE_ABOVE, label
from metrics.dependencies import FiltersDep
from metrics.facts.models import ResponseFact
from metrics.scores import service
from metrics.scores.schemas import GroupBy

router = APIRouter(prefix="/comments", tags=["comments"])
F = ResponseFact


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


@router.get(
    "",
    response_model=CommentPage,
    summary="The comments behind any score, newest first",
    description="Same filters as the scores, plus `sentiment` and the NPS `band` (promoter 9-10, "
    "passive 7-8, detractor 0-6). Flagged responses are left out. Sentiment is computed on this "
    "machine with VADER's lexicon; no comment text leaves it.",
)
def list_comments(
    session: SessionDep,
    _: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    filters: FiltersDep,
    sentiment: Annotated[Literal["negative", "neutral", "positive"] | None, Query()] = None,
    band: Annotated[Literal["promoter", "passive", "detractor"] | None, Query()] = None,
) -> CommentPage:
    query = answers.selection(filters, "nps" if band else None, band).where(
        col(F.comment).is_not(None)
    )
    if sentiment == "negative":
        query = query.where(col(F.sentiment) < NEGATIVE_BELOW)
    elif sentiment == "positive":
        query = query.where(col(F.sentiment) > POSITIVE_ABOVE)
    elif sentiment == "neutral":
        query = query.where(col(F.sentiment).between(NEGATIVE_BELOW, POSITIVE_ABOVE))
    rows, last = answers.page(
        session, query, after=answers.after(params.cursor), limit=params.limit
    )
    cursor = encode_cursor([last[0].isoformat(), last[1]]) if last else None
    return CommentPage(items=[_read(r) for r in rows], next_cursor=cursor)


def _read(fact: ResponseFact) -> CommentRead:
    return CommentRead(
        **fact.model_dump(include=set(CommentRead.model_fields)),
        sentiment_label=label(fact.sentiment) or "neutral",
    )


@router.get(
    "/summary",
    response_model=list[CommentSummary],
    summary="Comment counts, negative comments and mean sentiment per group (from rollups)",
)
def summarize_comments(
    session: SessionDep,
    _: Reader,
    filters: FiltersDep,
    group_by: Annotated[GroupBy, Query()] = GroupBy.TOUCHPOINT,
) -> Any:
    sums = service.grouped_sums(session, filters, [service.GROUP_COLUMNS[group_by]])
    names = service.labels(session, group_by, [k[0] for k in sums])
    summaries = [
        CommentSummary(
            key=key,
            label=str(names.get(key, key)),
            comments=int(s["comments"]),
            negative_comments=int(s["negative_comments"]),
            mean_sentiment=s["sentiment_sum"] / s["comments"] if s["comments"] else None,
        )
        for (key,), s in sums.items()
        if s["comments"]
    ]
    return sorted(summaries, key=lambda s: -s.negative_comments)
