"""Reviews of a journey: the record that closes a review trigger (docs/improvement.md,
"Review triggers")."""

from sqlmodel import Session, col, select

from cxshared.pagination import PageParams, paginate
from cxshared.problems import field_error
from cxshared.timeutil import utcnow
from journey.common import crud
from journey.common.context import WriteContext
from journey.journeys.models import Journey
from journey.reviews.models import JourneyReview
from journey.reviews.schemas import ReviewCreate


def create_review(*, ctx: WriteContext, journey: Journey, body: ReviewCreate) -> JourneyReview:
    today = utcnow().date()
    reviewed_on = body.reviewed_on or today
    if reviewed_on > today:
        raise field_error("reviewed_on", "cannot be in the future", "in_future")
    review = JourneyReview(
        journey_id=journey.id,
        reviewed_on=reviewed_on,
        decision=body.decision,
        acknowledged=list(dict.fromkeys(body.acknowledged)),
    )
    return crud.create(ctx, review, event_data=lambda r: r.model_dump(mode="json"))


def list_reviews(
    *, session: Session, journey_id: str, params: PageParams
) -> tuple[list[JourneyReview], str | None]:
    query = select(JourneyReview).where(JourneyReview.journey_id == journey_id)
    return paginate(
        session,
        query,
        order_by=[col(JourneyReview.reviewed_on), col(JourneyReview.id)],
        params=params,
        descending=True,
    )


def latest(session: Session) -> dict[str, JourneyReview]:
    """Each journey's latest review."""
    found: dict[str, JourneyReview] = {}
    query = select(JourneyReview).order_by(
        col(JourneyReview.reviewed_on), col(JourneyReview.created_at)
    )
    for review in session.exec(query):
        found[review.journey_id] = review
    return found
