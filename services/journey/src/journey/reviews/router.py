from typing import Any

from fastapi import APIRouter, Response, status

from cxshared.auth import Reader
from cxshared.crud import get_or_404
from cxshared.deps import SessionDep
from journey.common.context import WriteCtx
from journey.common.responses import saved
from journey.dependencies import PageDep
from journey.journeys.models import Journey
from journey.reviews import service
from journey.reviews.schemas import ReviewCreate, ReviewPage, ReviewRead

router = APIRouter(tags=["reviews"])


@router.post(
    "/journeys/{journey_id}/reviews",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewRead,
    summary="Record a review of the journey",
    description="Who reviewed (the acting user), when, what was decided, and which review "
    "signals it dealt with (`acknowledged`, by key). The journey is next due for review "
    "`review_cadence_days` after it (GET /v1/reports/reviews).",
)
def create_review(journey_id: str, body: ReviewCreate, ctx: WriteCtx, response: Response) -> Any:
    journey = get_or_404(ctx.session, Journey, journey_id)
    review = service.create_review(ctx=ctx, journey=journey, body=body)
    return saved(ctx, response, review)


@router.get(
    "/journeys/{journey_id}/reviews",
    response_model=ReviewPage,
    summary="The journey's reviews, newest first",
)
def list_reviews(journey_id: str, session: SessionDep, _: Reader, params: PageDep) -> Any:
    get_or_404(session, Journey, journey_id)
    items, cursor = service.list_reviews(session=session, journey_id=journey_id, params=params)
    return ReviewPage(items=items, next_cursor=cursor)
