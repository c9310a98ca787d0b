from typing import Annotated

from fastapi import APIRouter, Depends, Query

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from cxshared.pagination import PageParams, page_params
from metrics.comments import service
from metrics.comments.schemas import CommentPage, CommentSummary
from metrics.dependencies import FiltersDep
from metrics.scores.schemas import GroupBy

router = APIRouter(prefix="/comments", tags=["comments"])


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
    sentiment: Annotated[service.Sentiment | None, Query()] = None,
    band: Annotated[service.Band | None, Query()] = None,
) -> CommentPage:
    return service.comments(
        session=session, filters=filters, sentiment=sentiment, band=band, params=params
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
) -> list[CommentSummary]:
    return service.summaries(session=session, filters=filters, group_by=group_by)
